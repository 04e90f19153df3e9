from marshmallow import Schema, fields, validate


class ProductSchema(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=3, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    price_cents = fields.Integer(required=True, validate=validate.Range(min=0))
    category_id = fields.Integer(load_default=None)
    warehouse_id = fields.Integer(load_default=None)
    quantity = fields.Integer(load_default=0, validate=validate.Range(min=0))


class RegisterSchema(Schema):
    email = fields.Email(required=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=12))


class StockMoveSchema(Schema):
    product_id = fields.Integer(required=True)
    to_warehouse_id = fields.Integer(required=True)
    quantity = fields.Integer(required=True, validate=validate.Range(min=1))


product_schema = ProductSchema()
register_schema = RegisterSchema()
stock_move_schema = StockMoveSchema()
