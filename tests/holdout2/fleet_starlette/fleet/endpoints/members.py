import hashlib
import logging
import secrets

import bcrypt
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..database import database
from ..tables import members

log = logging.getLogger("fleet.members")


def _require(body: dict, *names: str) -> None:
    if not isinstance(body, dict):
        raise HTTPException(400, "expected a JSON object")
    for name in names:
        if not isinstance(body.get(name), str) or not body[name].strip():
            raise HTTPException(400, f"{name} is required")


async def register_member(request: Request):
    body = await request.json()
    _require(body, "email", "password", "licence_no")
    record = {"email": body["email"].lower(), "licence_no": body["licence_no"]}
    record["password"] = bcrypt.hashpw(body["password"].encode(), bcrypt.gensalt(rounds=12)).decode()  # ok-category: password-storage
    member_id = await database.execute(members.insert().values(**record))  # ok-category: validation
    return JSONResponse({"id": member_id}, status_code=201)


async def import_members(request: Request):
    """Bulk import from the partner car club (they send their member list as JSON)."""
    rows = await request.json()
    for row in rows:
        values = dict(email=row["email"], licence_no=row["licence_no"])
        values.update(password=row["password"])  # expect-category: password-storage
        await database.execute(members.insert().values(**values))  # expect-category: validation
    return JSONResponse({"imported": len(rows)}, status_code=201)


async def login(request: Request):
    body = await request.json()
    _require(body, "email", "password")
    row = await database.fetch_one(members.select().where(members.c.email == body["email"].lower()))  # ok-category: validation
    if row is None or not bcrypt.checkpw(body["password"].encode(), row["password"].encode()):  # ok-category: password-storage
        raise HTTPException(401, "invalid credentials")
    return JSONResponse({"token": secrets.token_urlsafe(32)})


async def kiosk_login(request: Request):
    """Depot kiosks use a short numeric kiosk password instead of the account password."""
    form = await request.form()
    kiosk_hash = hashlib.md5(form["kiosk_password"].encode()).hexdigest()  # expect-category: password-storage
    row = await database.fetch_one("SELECT id FROM members WHERE kiosk_password_hash = :h", values={"h": kiosk_hash})  # ok-category: sql-injection
    if row is None:
        raise HTTPException(401, "invalid pin")
    return JSONResponse({"member_id": row["id"]})


async def member_profile(request: Request):
    row = await database.fetch_one(members.select().where(members.c.id == request.path_params["member_id"]))
    if row is None:
        raise HTTPException(404, "no such member")
    return JSONResponse(dict(row._mapping))  # expect-category: password-storage


routes = [
    Route("/", register_member, methods=["POST"]),
    Route("/import", import_members, methods=["POST"]),
    Route("/login", login, methods=["POST"]),
    Route("/kiosk-login", kiosk_login, methods=["POST"]),
    Route("/{member_id:int}", member_profile, methods=["GET"]),
]
