from flask import request
from flask_restx import Namespace, Resource, fields, reqparse

from ..repositories.accounts import AccountRepository
from ..repositories.audit import audit

ns = Namespace("accounts", description="Customer accounts")

account_model = ns.model("Account", {
    "iban": fields.String(required=True, pattern=r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$"),
    "holder": fields.String(required=True, max_length=140),
    "currency": fields.String(required=True, enum=["EUR", "USD", "GBP", "CHF"]),
})

list_parser = reqparse.RequestParser()
list_parser.add_argument("page", type=int, default=1, location="args")
list_parser.add_argument("per_page", type=int, default=50, choices=list(range(1, 201)), location="args")
list_parser.add_argument("sort", type=str, default="opened_at", choices=("opened_at", "holder", "balance"), location="args")

repo = AccountRepository()


@ns.route("")
class AccountList(Resource):
    @ns.expect(list_parser)
    def get(self):
        args = list_parser.parse_args()
        return repo.page(args["page"], args["per_page"], args["sort"])  # ok-category: validation

    @ns.expect(account_model, validate=True)
    def post(self):
        account_id = repo.create(ns.payload)  # ok-category: validation
        audit("system", "account.create", ns.payload["iban"])
        return {"id": account_id}, 201


@ns.route("/<string:iban>")
class AccountItem(Resource):
    def get(self, iban):
        return repo.by_iban(iban)

    def patch(self, iban):
        repo.update_holder(iban, request.json["holder"], request.json.get("note"))  # expect-category: validation
        return {"status": "updated"}


@ns.route("/<string:iban>/statement")
class Statement(Resource):
    def get(self, iban):
        return repo.statement(iban)


@ns.route("/search")
class AccountSearch(Resource):
    def get(self):
        return repo.search_holder(request.args.get("holder", ""))  # expect-category: validation
