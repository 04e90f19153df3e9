import logging
import time

import requests
from sqlalchemy import text

from ..models import Shipment, TrackingEvent

log = logging.getLogger(__name__)

CARRIER_URL = "https://carrier.example.net/v2/status/{}"


class TrackingService:
    def __init__(self, session):
        self.session = session

    def record_event(self, shipment, *, location, status, note=None):
        self.session.add(TrackingEvent(shipment_id=shipment.id, location=location, status=status, note=note))
        shipment.status = status
        self.session.commit()

    def dwell_report(self, warehouse_id: int, *, days: int, sort: str):
        order_clause = "ORDER BY {} DESC".format(sort)
        query = (
            "SELECT s.tracking_no, AVG(EXTRACT(EPOCH FROM e.recorded_at - s.created_at)) AS avg "
            "FROM shipment s JOIN tracking_event e ON e.shipment_id = s.id "
            "WHERE s.destination_id = :wid AND e.recorded_at > now() - make_interval(days => :days) "
            "GROUP BY s.tracking_no " + order_clause + " LIMIT 100"
        )
        rows = self.session.execute(text(query), {"wid": warehouse_id, "days": days})  # expect-category: sql-injection
        return [dict(r._mapping) for r in rows]


def poll_carrier_updates(app, interval: int = 300):
    """Runs in a daemon thread started by the CLI `flask tracking-worker`."""
    with app.app_context():
        from ..extensions import db

        while True:
            batch = Shipment.query.filter_by(status="in_transit").limit(500).all()
            for shipment in batch:
                try:
                    resp = requests.get(CARRIER_URL.format(shipment.tracking_no), timeout=10)
                    resp.raise_for_status()
                    update = resp.json()
                except Exception:  # expect-category: error-handling
                    continue
                if update.get("delivered"):
                    shipment.status = "delivered"
            try:
                db.session.commit()
            except Exception:  # ok-category: error-handling
                log.exception("could not persist carrier updates, rolling back")
                db.session.rollback()
            time.sleep(interval)
