import logging

log = logging.getLogger("ledger.errors")


class LedgerError(Exception):
    code = 400


class InsufficientFunds(LedgerError):
    code = 409


class AccountNotFound(LedgerError):
    code = 404


def register_api_errors(api) -> None:
    @api.errorhandler(LedgerError)
    def ledger_error(err):
        return {"message": err.__class__.__name__}, err.code

    @api.errorhandler(Exception)
    def unexpected(err):
        log.exception("unhandled error")
        return {"message": "internal error"}, 500
