from datetime import datetime, timezone

from .extensions import db


def _now():
    return datetime.now(timezone.utc)


class User(db.Model):
    __tablename__ = "users"

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(255), unique=True, nullable=False, index=True)
    password_hash = db.Column(db.String(255), nullable=False)
    role = db.Column(db.String(32), nullable=False, default="dispatcher")
    password_reset_digest = db.Column(db.String(64), nullable=True)
    password_reset_expires = db.Column(db.DateTime(timezone=True), nullable=True)


class Warehouse(db.Model):
    __tablename__ = "warehouse"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(8), unique=True, nullable=False)
    name = db.Column(db.String(120), nullable=False)
    city = db.Column(db.String(80), nullable=False, index=True)
    capacity_pallets = db.Column(db.Integer, nullable=False, default=0)

    def to_dict(self):
        return {"id": self.id, "code": self.code, "name": self.name, "city": self.city,
                "capacity_pallets": self.capacity_pallets}


class Shipment(db.Model):
    __tablename__ = "shipment"

    id = db.Column(db.Integer, primary_key=True)
    tracking_no = db.Column(db.String(32), unique=True, nullable=False)
    customer_ref = db.Column(db.String(64))
    origin_id = db.Column(db.Integer, db.ForeignKey("warehouse.id"), nullable=False)
    destination_id = db.Column(db.Integer, db.ForeignKey("warehouse.id"), nullable=False, index=True)
    status = db.Column(db.String(16), nullable=False, default="created", index=True)
    weight_kg = db.Column(db.Numeric(10, 2), nullable=False)
    created_at = db.Column(db.DateTime(timezone=True), default=_now)

    events = db.relationship("TrackingEvent", backref="shipment", lazy="dynamic")

    def to_dict(self):
        return {"id": self.id, "tracking_no": self.tracking_no, "status": self.status,
                "origin_id": self.origin_id, "destination_id": self.destination_id,
                "weight_kg": float(self.weight_kg)}


class TrackingEvent(db.Model):
    __tablename__ = "tracking_event"

    id = db.Column(db.Integer, primary_key=True)
    shipment_id = db.Column(db.Integer, db.ForeignKey("shipment.id"), nullable=False, index=True)
    location = db.Column(db.String(120))
    status = db.Column(db.String(16), nullable=False)
    note = db.Column(db.Text)
    recorded_at = db.Column(db.DateTime(timezone=True), default=_now)
