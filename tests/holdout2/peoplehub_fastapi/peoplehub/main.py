import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .db import init_db
from .errors import register_exception_handlers
from .routers import auth, employees, leave, payroll

logging.basicConfig(level=logging.INFO)


@asynccontextmanager
async def lifespan(app: FastAPI):
    init_db()
    yield


app = FastAPI(title="PeopleHub HR API", version="2.3.0", lifespan=lifespan)  # ok-category: error-handling
register_exception_handlers(app)

app.include_router(auth.router, prefix="/api/v2/auth", tags=["auth"])
app.include_router(employees.router, prefix="/api/v2/employees", tags=["employees"])
app.include_router(leave.router, prefix="/api/v2/leave", tags=["leave"])
app.include_router(payroll.router, prefix="/api/v2/payroll", tags=["payroll"])


@app.get("/health")
def health():
    return {"status": "ok"}
