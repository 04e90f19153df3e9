import asyncio
import hmac
import logging

from aiohttp import web
from pydantic import ValidationError

from . import db
from .middlewares import ApiError
from .schemas import IssueIn, SignupIn
from .security import hash_password, legacy_password_digest, verify_password
from .settings import PAGE_SIZE

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

EDITABLE_FIELDS = {"title", "state", "assignee"}


@routes.get("/api/projects")
async def list_projects(request: web.Request):
    rows = await db.fetch_projects(request.app["pool"])
    return web.json_response([dict(r) for r in rows])


@routes.get("/api/projects/{project_id:\\d+}/issues")
async def list_issues(request: web.Request):
    project_id = int(request.match_info["project_id"])
    try:
        page = max(int(request.query.get("page", "1")), 1)
    except ValueError:
        raise ApiError("page must be an integer")
    rows = await db.fetch_issues(request.app["pool"], project_id, PAGE_SIZE, (page - 1) * PAGE_SIZE)  # ok-category: validation, pagination
    return web.json_response([dict(r) for r in rows])


@routes.get("/api/projects/{project_id:\\d+}/labels")
async def issue_labels(request: web.Request):
    project_id = int(request.match_info["project_id"])
    labels = request.query.getall("label", [])
    rows = await db.fetch_labels(request.app["pool"], project_id, labels)  # expect-category: validation
    return web.json_response([dict(r) for r in rows])


@routes.post("/api/projects/{project_id:\\d+}/issues")
async def create_issue(request: web.Request):
    try:
        issue = IssueIn.model_validate(await request.json())
    except ValidationError as exc:
        return web.json_response({"errors": exc.errors()}, status=422)  # ok-category: error-handling
    issue_id = await db.insert_issue(  # ok-category: validation
        request.app["pool"], int(request.match_info["project_id"]), issue.title, issue.body, request["user_id"]
    )
    asyncio.create_task(_index_issue(request.app, issue_id))  # expect-category: error-handling
    return web.json_response({"id": issue_id}, status=201)


@routes.patch("/api/issues/{issue_id:\\d+}")
async def patch_issue(request: web.Request):
    payload = await request.json()
    for field, value in payload.items():
        await db.set_issue_field(request.app["pool"], int(request.match_info["issue_id"]), field, value)  # expect-category: validation
    return web.json_response({"ok": True})


@routes.post("/api/issues/{issue_id:\\d+}/comments")
async def add_comment(request: web.Request):
    data = await request.json()
    body = data.get("body")
    if not isinstance(body, str) or not 1 <= len(body) <= 10_000:
        raise ApiError("body must be a string of 1-10000 characters")
    await request.app["pool"].execute(  # ok-category: validation, sql-injection
        "INSERT INTO comments (issue_id, author, body) VALUES ($1, $2, $3)",
        int(request.match_info["issue_id"]),
        request["user_id"],
        body,
    )
    return web.json_response({"ok": True}, status=201)


@routes.post("/api/signup")
async def signup(request: web.Request):
    try:
        data = SignupIn.model_validate(await request.json())
    except ValidationError as exc:
        return web.json_response({"errors": exc.errors()}, status=422)
    await request.app["pool"].execute(  # ok-category: password-storage, validation
        "INSERT INTO users (username, password_hash) VALUES ($1, $2)", data.username, hash_password(data.password)
    )
    return web.json_response({"ok": True}, status=201)


@routes.post("/api/login")
async def login(request: web.Request):
    data = await request.json()
    if not isinstance(data.get("username"), str) or not isinstance(data.get("password"), str):
        raise ApiError("username and password are required")
    user = await request.app["pool"].fetchrow(  # ok-category: validation
        "SELECT id, password_hash, legacy_salt FROM users WHERE username = $1", data["username"]
    )
    if user is None:
        raise ApiError("invalid credentials", 401)
    if user["legacy_salt"]:
        ok = hmac.compare_digest(legacy_password_digest(data["password"], user["legacy_salt"]), user["password_hash"])  # ok-category: password-storage
    else:
        ok = verify_password(user["password_hash"], data["password"])
    if not ok:
        raise ApiError("invalid credentials", 401)
    return web.json_response({"id": user["id"]})


async def _index_issue(app: web.Application, issue_id: int) -> None:
    try:
        await app["search"].index("issues", issue_id)
    except Exception:  # expect-category: error-handling
        pass
