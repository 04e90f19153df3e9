import logging

from fastapi import FastAPI

from .api import reports, technicians, work_orders

logging.basicConfig(level=logging.INFO)

app = FastAPI(title="FieldOps dispatch", version="0.9.0")  # expect-category: error-handling
app.include_router(work_orders.router, prefix="/work-orders", tags=["work orders"])
app.include_router(technicians.router, prefix="/technicians", tags=["technicians"])
app.include_router(reports.router, prefix="/reports", tags=["reports"])


@app.get("/healthz")
async def healthz():
    return {"ok": True}
