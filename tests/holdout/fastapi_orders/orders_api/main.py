import logging

from fastapi import FastAPI

from .errors import register_exception_handlers
from .routers import admin, auth, orders

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

app = FastAPI(title="Orders API", version="1.4.0")  # ok-category: error-handling
register_exception_handlers(app)

app.include_router(auth.router)
app.include_router(orders.router)
app.include_router(admin.router)


@app.get("/healthz")
async def healthz():
    return {"status": "ok"}
