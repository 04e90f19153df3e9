from flask import Blueprint, jsonify
from flask_jwt_extended import jwt_required

from ..extensions import db
from ..models import Category, Product, Warehouse
from ..schemas import stock_move_schema
from ..utils import load_json, page_args

bp = Blueprint("warehouses", __name__)


@bp.get("/")
@jwt_required()
def list_warehouses():
    warehouses = Warehouse.query.order_by(Warehouse.code).all()  # expect-category: pagination
    return jsonify([{"id": w.id, "code": w.code, "city": w.city} for w in warehouses])


@bp.get("/<int:warehouse_id>/products")
@jwt_required()
def warehouse_products(warehouse_id: int):
    page, per_page = page_args()
    query = db.select(Product).filter_by(warehouse_id=warehouse_id).order_by(Product.sku)
    pagination = db.paginate(query, page=page, per_page=per_page)  # ok-category: pagination
    return jsonify(items=[p.to_dict() for p in pagination.items], total=pagination.total)


@bp.get("/categories")
def list_categories():
    categories = db.session.scalars(db.select(Category).order_by(Category.name)).all()  # expect-category: pagination
    return jsonify([{"id": c.id, "name": c.name} for c in categories])


@bp.post("/moves")
@jwt_required()
def move_stock():
    move = load_json(stock_move_schema)
    product = db.get_or_404(Product, move["product_id"])  # ok-category: validation
    target = db.get_or_404(Warehouse, move["to_warehouse_id"])
    if product.quantity < move["quantity"]:
        return jsonify({"error": "insufficient stock"}), 409
    product.warehouse_id = target.id
    db.session.commit()
    return jsonify(product.to_dict())


@bp.post("/rebalance")
@jwt_required()
def rebalance():
    # POST job: walks every warehouse; nothing is returned to the client but a count.
    warehouses = Warehouse.query.all()  # ok-category: pagination
    moved = 0
    for w in warehouses:
        if w.capacity and len(w.products) > w.capacity:
            moved += 1
    return jsonify({"over_capacity": moved})
