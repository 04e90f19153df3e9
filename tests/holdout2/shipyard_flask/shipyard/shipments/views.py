from flask import abort, current_app, jsonify, request
from flask.views import MethodView

from ..errors import ShipmentStateError
from ..extensions import db
from ..models import Shipment, TrackingEvent
from ..schemas import SHIPMENT_STATUSES, event_schema, shipment_schema
from ..services.tracking import TrackingService


class ShipmentListAPI(MethodView):
    def get(self):
        page = request.args.get("page", 1, type=int)
        per_page = min(request.args.get("per_page", 25, type=int), current_app.config["MAX_PAGE_SIZE"])
        status = request.args.get("status")

        query = Shipment.query.order_by(Shipment.created_at.desc())
        if status is not None:
            if status not in SHIPMENT_STATUSES:
                abort(400, description="unknown status")
            query = query.filter_by(status=status)  # ok-category: validation
        pagination = query.paginate(page=page, per_page=per_page, error_out=False)  # ok-category: pagination
        return jsonify(
            items=shipment_schema.dump(pagination.items, many=True),
            page=pagination.page,
            total=pagination.total,
        )

    def post(self):
        payload = shipment_schema.load(request.get_json(silent=True) or {})
        shipment = Shipment(**payload)  # ok-category: validation
        db.session.add(shipment)
        db.session.commit()
        return jsonify(shipment_schema.dump(shipment)), 201


class ShipmentItemAPI(MethodView):
    def get(self, shipment_id: int):
        shipment = db.get_or_404(Shipment, shipment_id)
        recent = shipment.events.order_by(TrackingEvent.recorded_at.desc()).limit(10).all()  # ok-category: pagination
        data = shipment_schema.dump(shipment)
        data["recent_events"] = [{"status": e.status, "location": e.location} for e in recent]
        return jsonify(data)

    def patch(self, shipment_id: int):
        shipment = db.get_or_404(Shipment, shipment_id)
        if shipment.status == "delivered":
            raise ShipmentStateError("delivered shipments cannot be edited")
        for key, value in request.get_json().items():
            setattr(shipment, key, value)  # expect-category: validation
        db.session.commit()
        return jsonify(shipment_schema.dump(shipment))


class ShipmentEventsAPI(MethodView):
    def get(self, shipment_id: int):
        db.get_or_404(Shipment, shipment_id)
        events = TrackingEvent.query.filter_by(shipment_id=shipment_id).order_by(TrackingEvent.recorded_at).all()  # expect-category: pagination
        return jsonify([{"status": e.status, "location": e.location, "note": e.note} for e in events])

    def post(self, shipment_id: int):
        shipment = db.get_or_404(Shipment, shipment_id)
        event = event_schema.load(request.get_json(silent=True) or {})
        TrackingService(db.session).record_event(shipment, **event)  # ok-category: validation
        return jsonify(status="recorded"), 201


def register_shipment_views(app):
    app.add_url_rule("/api/v1/shipments", view_func=ShipmentListAPI.as_view("shipments"))
    app.add_url_rule("/api/v1/shipments/<int:shipment_id>", view_func=ShipmentItemAPI.as_view("shipment"))
    app.add_url_rule("/api/v1/shipments/<int:shipment_id>/events",
                     view_func=ShipmentEventsAPI.as_view("shipment_events"))
