from flask_restx import Api

from .accounts import ns as accounts_ns
from .operators import ns as operators_ns
from .transfers import ns as transfers_ns

api = Api(title="Ledger back-office", version="1.4", prefix="/api", doc="/docs")
api.add_namespace(accounts_ns)
api.add_namespace(transfers_ns)
api.add_namespace(operators_ns)
