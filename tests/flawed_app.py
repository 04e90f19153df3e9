"""The small flawed Flask module the reliability tests scan beside hostile input (the same
one ../shared/reliability/_common.sh writes): one SQL built from a query parameter."""

FLAWED = '''\
import sqlite3
from flask import Blueprint, request, jsonify
bp = Blueprint("views", __name__)

@bp.route("/users")
def users():
    name = request.args.get("name")
    cur = sqlite3.connect("app.db").cursor()
    cur.execute(f"SELECT * FROM users WHERE name = '{name}'")
    return jsonify(cur.fetchall())
'''
#: The line of the SQL finding in ``FLAWED``.
FLAWED_LINE = 9
