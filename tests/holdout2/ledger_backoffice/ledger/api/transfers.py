import logging

from flask_restx import Namespace, Resource, fields

from ..errors import InsufficientFunds
from ..repositories.accounts import AccountRepository
from ..repositories.audit import audit

ns = Namespace("transfers", description="Internal transfers between accounts")
log = logging.getLogger("ledger.transfers")

transfer_model = ns.model("Transfer", {
    "from_iban": fields.String(required=True),
    "to_iban": fields.String(required=True),
    "amount_cents": fields.Integer(required=True, min=1),
    "reference": fields.String(max_length=140),
})

repo = AccountRepository()


@ns.route("")
class TransferList(Resource):
    def post(self):
        body = ns.payload
        repo.transfer(body["from_iban"], body["to_iban"], body["amount_cents"], body.get("reference", ""))  # expect-category: validation
        audit("api", "transfer", f"{body['from_iban']}->{body['to_iban']}")
        return {"status": "booked"}, 201


@ns.route("/validated")
class ValidatedTransfer(Resource):
    @ns.expect(transfer_model, validate=True)
    def post(self):
        body = ns.payload
        try:
            repo.transfer(body["from_iban"], body["to_iban"], body["amount_cents"], body.get("reference", ""))  # ok-category: validation
        except InsufficientFunds:
            log.info("transfer rejected: insufficient funds")
            raise
        return {"status": "booked"}, 201
