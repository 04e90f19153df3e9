import logging

import jsonschema
from flask import Blueprint, Flask, jsonify, request

from . import repository as repo
from .config import config
from .db import init_pool
from .errors import BillingError, errors_bp
from .security import check_password, hash_password

log = logging.getLogger(__name__)
api = Blueprint("api", __name__, url_prefix="/api")

INVOICE_SCHEMA = {
    "type": "object",
    "required": ["account_id", "number", "amount_cents", "currency"],
    "properties": {
        "account_id": {"type": "integer", "minimum": 1},
        "number": {"type": "string", "pattern": "^INV-[0-9]{6}$"},
        "amount_cents": {"type": "integer", "minimum": 1},
        "currency": {"enum": ["EUR", "USD", "GBP"]},
    },
    "additionalProperties": False,
}


@api.get("/accounts")
def accounts():
    return jsonify(repo.all_accounts())


@api.get("/accounts/<int:account_id>/invoices")
def invoices(account_id: int):
    limit = min(request.args.get("limit", config.page_size, type=int), 200)
    offset = max(request.args.get("offset", 0, type=int), 0)
    status = request.args.get("status")
    if status not in (None, "draft", "sent", "paid", "void"):
        raise BillingError("unknown status")
    rows = repo.list_invoices(account_id, status, request.args.get("sort", "issued"), limit, offset)  # ok-category: validation, pagination
    return jsonify(rows)


@api.get("/accounts/search")
def search_accounts():
    domain = request.args["domain"]
    return jsonify(repo.find_accounts_by_email_domain(domain))  # expect-category: validation


@api.post("/invoices")
def create_invoice():
    body = request.get_json(force=True)
    try:
        jsonschema.validate(body, INVOICE_SCHEMA)
    except jsonschema.ValidationError as exc:
        raise BillingError(f"invalid invoice: {exc.message}", 422)  # ok-category: error-handling
    invoice_id = repo.create_invoice(**body)  # ok-category: validation
    return jsonify({"id": invoice_id}), 201


@api.post("/invoices/mark-paid")
def mark_paid():
    ids = request.get_json(force=True).get("ids", [])
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise BillingError("ids must be a list of integers")
    return jsonify({"updated": repo.mark_paid(ids)})  # ok-category: validation


@api.get("/reports/revenue")
def revenue():
    period = request.args.get("period", "month")
    return jsonify(repo.revenue_by(period))  # expect-category: validation


@api.patch("/accounts/<int:account_id>")
def patch_account(account_id: int):
    changes = request.get_json(force=True)
    repo.update_account(account_id, changes)  # expect-category: validation
    return jsonify(repo.get_account(account_id))


@api.post("/users")
def create_user():
    body = request.get_json(force=True)
    if not isinstance(body.get("email"), str) or not isinstance(body.get("password"), str):
        raise BillingError("email and password required")
    if len(body["password"]) < 12:
        raise BillingError("password too short")
    user_id = repo.create_user(body["email"], hash_password(body["password"]))  # ok-category: validation, password-storage
    return jsonify({"id": user_id}), 201


@api.post("/login")
def login():
    body = request.get_json(force=True)
    user = repo.user_by_email(str(body.get("email", "")))  # ok-category: validation
    if not user or not check_password(str(body.get("password", "")), user["password_hash"]):
        raise BillingError("invalid credentials", 401)
    return jsonify({"id": user["id"], "email": user["email"]})


def create_app() -> Flask:
    app = Flask(__name__)  # ok-category: error-handling
    logging.basicConfig(level=logging.INFO)
    init_pool()
    app.register_blueprint(api)
    app.register_blueprint(errors_bp)
    return app
