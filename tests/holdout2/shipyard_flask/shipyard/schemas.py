from marshmallow import Schema, fields, validate

SHIPMENT_STATUSES = ("created", "picked_up", "in_transit", "delivered", "returned")


class ShipmentSchema(Schema):
    id = fields.Int(dump_only=True)
    tracking_no = fields.Str(required=True, validate=validate.Length(min=8, max=32))
    customer_ref = fields.Str(load_default=None, validate=validate.Length(max=64))
    origin_id = fields.Int(required=True)
    destination_id = fields.Int(required=True)
    weight_kg = fields.Decimal(required=True, as_string=True, validate=validate.Range(min=0))
    status = fields.Str(dump_only=True)


class TrackingEventSchema(Schema):
    location = fields.Str(required=True, validate=validate.Length(max=120))
    status = fields.Str(required=True, validate=validate.OneOf(SHIPMENT_STATUSES))
    note = fields.Str(load_default=None)


class RegistrationSchema(Schema):
    email = fields.Email(required=True)
    password = fields.Str(required=True, load_only=True, validate=validate.Length(min=12))


class LoginSchema(Schema):
    email = fields.Email(required=True)
    password = fields.Str(required=True, load_only=True)


shipment_schema = ShipmentSchema()
event_schema = TrackingEventSchema()
