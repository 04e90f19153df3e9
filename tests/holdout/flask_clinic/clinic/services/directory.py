import logging

import requests

from ..db import Session
from ..models import Staff

log = logging.getLogger(__name__)
DIRECTORY_URL = "https://directory.hospital.example/api/people"


def _fetch_page(page: int) -> list[dict]:
    resp = requests.get(DIRECTORY_URL, params={"page": page}, timeout=10)
    resp.raise_for_status()
    return resp.json()["people"]


def sync_all() -> int:
    count, page = 0, 1
    while True:
        people = _fetch_page(page)
        if not people:
            break
        for person in people:
            try:
                staff = Session.query(Staff).filter_by(username=person["uid"]).one_or_none()
                if staff is not None:
                    staff.full_name = person["displayName"]
                    count += 1
            except KeyError:  # ok-category: error-handling
                log.warning("directory entry without uid/displayName: %r", person.get("uid"))
                continue
        page += 1
    Session.commit()
    return count


def lookup_extension(username: str) -> str | None:
    try:
        resp = requests.get(f"{DIRECTORY_URL}/{username}", timeout=5)
        return resp.json().get("extension")
    except Exception:  # expect-category: error-handling
        return None
