import sqlalchemy as sa

metadata = sa.MetaData()

vehicles = sa.Table(
    "vehicles", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("plate", sa.String(16), unique=True, nullable=False),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("city", sa.String(64), nullable=False, index=True),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("odometer_km", sa.Integer, nullable=False, default=0),
)

bookings = sa.Table(
    "bookings", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("vehicle_id", sa.ForeignKey("vehicles.id"), nullable=False, index=True),
    sa.Column("member_id", sa.Integer, nullable=False, index=True),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default="confirmed"),
    sa.Column("cancel_reason", sa.String(200), nullable=True),
)

members = sa.Table(
    "members", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(255), unique=True, nullable=False),
    sa.Column("password", sa.String(255), nullable=False),
    sa.Column("licence_no", sa.String(32), nullable=False),
    sa.Column("kiosk_password_hash", sa.String(32), nullable=True),
)
