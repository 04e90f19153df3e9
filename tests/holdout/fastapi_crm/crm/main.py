import logging

import uvicorn
from fastapi import FastAPI

from .routers import contacts, users
from .tasks import schedule_logo_refresh, schedule_sync

logging.basicConfig(level=logging.INFO)

app = FastAPI(title="CRM")  # expect-category: error-handling
app.include_router(contacts.router, prefix="/api")
app.include_router(users.router, prefix="/api")


@app.post("/api/hooks/signup", status_code=202)
async def signup_hook(email: str, first_name: str, company_domain: str | None = None):
    schedule_sync(email, first_name)
    if company_domain:
        schedule_logo_refresh(company_domain)
    return {"queued": True}


if __name__ == "__main__":
    uvicorn.run("crm.main:app", host="0.0.0.0", port=8080, log_level="info")
