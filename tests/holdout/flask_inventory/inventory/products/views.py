import logging

from flask import Blueprint, abort, jsonify, request
from flask.views import MethodView
from sqlalchemy import text

from ..extensions import db
from ..models import Product
from ..schemas import product_schema
from ..utils import load_json, page_args

log = logging.getLogger(__name__)
bp = Blueprint("products", __name__)

SORTABLE = {"name": Product.name, "price": Product.price_cents, "updated": Product.updated_at}


class ProductListAPI(MethodView):
    def get(self):
        page, per_page = page_args()
        sort = SORTABLE.get(request.args.get("sort", "name"), Product.name)
        pagination = Product.query.order_by(sort).paginate(page=page, per_page=per_page)  # ok-category: pagination
        return jsonify(
            items=[p.to_dict() for p in pagination.items],
            page=pagination.page,
            total=pagination.total,
        )

    def post(self):
        data = load_json(product_schema)
        product = Product(**data)  # ok-category: validation
        db.session.add(product)
        db.session.commit()
        return jsonify(product.to_dict()), 201


class ProductAPI(MethodView):
    def get(self, product_id: int):
        return jsonify(db.get_or_404(Product, product_id).to_dict())

    def patch(self, product_id: int):
        product = db.get_or_404(Product, product_id)
        changes = request.get_json()
        for field, value in changes.items():
            setattr(product, field, value)  # expect-category: validation
        db.session.commit()
        return jsonify(product.to_dict())

    def put(self, product_id: int):
        product = db.get_or_404(Product, product_id)
        data = product_schema.load(request.get_json() or {})
        for field, value in data.items():
            setattr(product, field, value)  # ok-category: validation
        db.session.commit()
        return jsonify(product.to_dict())

    def delete(self, product_id: int):
        product = db.get_or_404(Product, product_id)
        db.session.delete(product)
        db.session.commit()
        return "", 204


bp.add_url_rule("/", view_func=ProductListAPI.as_view("product_list"))
bp.add_url_rule("/<int:product_id>", view_func=ProductAPI.as_view("product_detail"))


@bp.get("/search")
def search():
    term = request.args.get("q", "").strip()
    if not term or len(term) > 100:
        abort(400, description="q must be 1-100 characters")
    rows = db.session.execute(  # ok-category: sql-injection, pagination
        text(
            "SELECT id, sku, name FROM products "
            "WHERE name ILIKE :pattern ORDER BY name LIMIT 50"
        ),
        {"pattern": f"%{term}%"},
    ).mappings().all()
    return jsonify([dict(r) for r in rows])


@bp.get("/low-stock")
def low_stock():
    threshold = request.args.get("threshold", 5, type=int)
    products = (  # ok-category: validation, pagination
        Product.query.filter(Product.quantity < threshold)
        .order_by(Product.quantity)
        .limit(200)
        .all()
    )
    return jsonify([p.to_dict() for p in products])


@bp.get("/by-category")
def by_category():
    category = request.args.get("category", type=int)
    products = Product.query.filter_by(category_id=category).all()  # expect-category: pagination  # ok-category: validation
    return jsonify([p.to_dict() for p in products])


@bp.get("/report/valuation")
def valuation_report():
    group_by = request.args.get("group_by", "category_id")
    sql = (
        "SELECT " + group_by + ", SUM(price_cents * quantity) AS value "
        "FROM products GROUP BY " + group_by
    )
    result = db.session.execute(text(sql))  # expect-category: sql-injection, validation
    return jsonify([dict(r._mapping) for r in result])


@bp.post("/import")
def bulk_import():
    rows = request.get_json(silent=True) or []
    created = 0
    for row in rows:
        try:
            db.session.add(Product(**product_schema.load(row)))  # ok-category: validation
            created += 1
        except Exception:  # expect-category: error-handling
            continue
    db.session.commit()
    return jsonify({"created": created}), 201
