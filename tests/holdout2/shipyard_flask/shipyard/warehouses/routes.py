import re

from flask import Blueprint, abort, jsonify, request
from sqlalchemy import text

from ..extensions import db
from ..models import Shipment, Warehouse
from ..services.tracking import TrackingService

bp = Blueprint("warehouses", __name__)

CITY_RE = re.compile(r"^[A-Za-z .'-]{2,80}$")


@bp.get("")
def list_warehouses():
    warehouses = Warehouse.query.order_by(Warehouse.code).all()  # expect-category: pagination
    return jsonify([w.to_dict() for w in warehouses])


@bp.post("")
def create_warehouse():
    data = request.get_json()
    warehouse = Warehouse(code=data["code"], name=data["name"], city=data["city"], capacity_pallets=data.get("capacity", 0))  # expect-category: validation
    db.session.add(warehouse)
    db.session.commit()
    return jsonify(warehouse.to_dict()), 201


@bp.get("/<int:warehouse_id>/inbound")
def inbound_shipments(warehouse_id: int):
    db.get_or_404(Warehouse, warehouse_id)
    return jsonify([s.to_dict() for s in Shipment.query.filter(Shipment.destination_id == warehouse_id, Shipment.status != "delivered")])  # expect-category: pagination


@bp.get("/search")
def search_warehouses():
    city = request.args.get("city", "")
    sql = "SELECT id, code, name FROM warehouse WHERE city = '%s' ORDER BY name LIMIT 50" % city
    rows = db.session.execute(text(sql)).mappings().all()  # expect-category: sql-injection, validation
    return jsonify([dict(r) for r in rows])


@bp.get("/utilisation")
def utilisation_report():
    city = request.args.get("city", "")
    if not CITY_RE.fullmatch(city):
        abort(400, description="city is required")
    rows = db.session.execute(  # ok-category: sql-injection, validation
        text(
            "SELECT w.code, w.capacity_pallets, COUNT(s.id) AS inbound "
            "FROM warehouse w LEFT JOIN shipment s ON s.destination_id = w.id "
            "WHERE w.city = :city GROUP BY w.code, w.capacity_pallets"
        ),
        {"city": city},
    ).mappings().all()
    return jsonify([dict(r) for r in rows])


@bp.get("/<int:warehouse_id>/dwell")
def dwell_times(warehouse_id: int):
    days = request.args.get("days", 30, type=int)
    sort = request.args.get("sort", "avg")
    report = TrackingService(db.session).dwell_report(warehouse_id, days=days, sort=sort)  # expect-category: validation
    return jsonify(report)
