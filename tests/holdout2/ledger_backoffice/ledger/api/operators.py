from flask_restx import Namespace, Resource, fields

from ..auth import check_operator, create_operator
from ..repositories.audit import recent_events

ns = Namespace("operators", description="Back-office operators")

login_model = ns.model("Login", {
    "username": fields.String(required=True, max_length=64),
    "password": fields.String(required=True, min_length=8),
})


@ns.route("/login")
class Login(Resource):
    @ns.expect(login_model, validate=True)
    def post(self):
        if not check_operator(ns.payload["username"], ns.payload["password"]):
            return {"message": "invalid credentials"}, 401
        return {"status": "ok"}


@ns.route("")
class Operators(Resource):
    @ns.expect(login_model, validate=True)
    def post(self):
        create_operator(ns.payload["username"], ns.payload["password"])  # ok-category: validation, password-storage
        return {"status": "created"}, 201


@ns.route("/audit")
class Audit(Resource):
    def get(self):
        return recent_events(limit=200)


@ns.route("/<string:username>/audit")
class OperatorAudit(Resource):
    def get(self, username):
        from ..repositories.audit import events_for_actor

        return events_for_actor(username)
