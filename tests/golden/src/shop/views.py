"""Order views of a small Flask shop: the golden reports point into this file."""
import sqlite3

from flask import Blueprint, jsonify, request

bp = Blueprint("orders", __name__)


@bp.get("/orders")
def list_orders():
    customer = request.args["customer"]
    conn = sqlite3.connect("shop.db")
    rows = conn.execute(
        f"SELECT id, total FROM orders WHERE customer = '{customer}'"
    ).fetchall()
    return jsonify([dict(id=r[0], total=r[1]) for r in rows])


@bp.get("/orders/<int:order_id>")
def get_order(order_id: int):
    conn = sqlite3.connect("shop.db")
    row = conn.execute("SELECT id, total FROM orders WHERE id = ?", (order_id,)).fetchone()
    return jsonify(dict(id=row[0], total=row[1]))
