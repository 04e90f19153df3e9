import logging

from flask import Blueprint, jsonify, request

from bookshop.extensions import db
from bookshop.models import Order

orders_bp = Blueprint("orders", __name__)
log = logging.getLogger(__name__)


@orders_bp.get("/<int:user_id>")
def orders_for_user(user_id: int):
    status = request.args.get("status", "pending")
    rows = db.session.execute(
        db.text(f"SELECT * FROM orders WHERE user_id = {user_id} AND status = '{status}'")
    ).mappings().all()
    return jsonify([dict(r) for r in rows])


@orders_bp.post("/<int:order_id>/cancel")
def cancel_order(order_id: int):
    order = db.get_or_404(Order, order_id)
    try:
        order.status = "cancelled"
        db.session.commit()
    except Exception:
        pass
    return jsonify(order.to_dict())


@orders_bp.post("/sync")
def sync_orders():
    try:
        count = _pull_from_warehouse()
    except Exception as exc:
        log.exception("warehouse sync failed")
        return jsonify({"error": str(exc)}), 502
    return jsonify({"synced": count})


def _pull_from_warehouse() -> int:
    return 0
