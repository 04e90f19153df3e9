import asyncio
import logging

import httpx

from .settings import MAILCHIMP_KEY, MAILCHIMP_URL

log = logging.getLogger(__name__)

_background: set[asyncio.Task] = set()


async def push_contact(email: str, first_name: str) -> dict | None:
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            resp = await client.post(
                f"{MAILCHIMP_URL}/lists/crm/members",
                auth=("crm", MAILCHIMP_KEY),
                json={"email_address": email, "merge_fields": {"FNAME": first_name}},
            )
            resp.raise_for_status()
            return resp.json()
    except Exception:  # expect-category: error-handling
        return None


async def refresh_company_logo(domain: str) -> None:
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            await client.get(f"https://logo.clearbit.com/{domain}")
    except httpx.HTTPError:  # ok-category: error-handling
        log.warning("logo refresh failed for %s", domain, exc_info=True)


def schedule_sync(email: str, first_name: str) -> None:
    asyncio.create_task(push_contact(email, first_name))  # expect-category: error-handling


def schedule_logo_refresh(domain: str) -> None:
    task = asyncio.create_task(refresh_company_logo(domain))  # ok-category: error-handling
    _background.add(task)
    task.add_done_callback(_background.discard)
