import hashlib
import hmac
import logging
import os

from argon2 import PasswordHasher
from fastapi import APIRouter, Depends, Header, HTTPException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..database import get_session
from ..models import Technician
from ..schemas import TechnicianCreate, TechnicianOut

router = APIRouter()
log = logging.getLogger("fieldops.technicians")
hasher = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)  # ok-category: password-storage
PARTNER_KEY = os.environ.get("FIELDOPS_PARTNER_KEY", "")


@router.post("/", response_model=TechnicianOut, status_code=201)
async def onboard(body: TechnicianCreate, session: AsyncSession = Depends(get_session)):
    tech = Technician(**body.model_dump())  # expect-category: password-storage ok-category: validation
    session.add(tech)
    await session.commit()
    return tech


@router.post("/secure", response_model=TechnicianOut, status_code=201)
async def onboard_secure(body: TechnicianCreate, session: AsyncSession = Depends(get_session)):
    data = body.model_dump(exclude={"password"})
    tech = Technician(**data, password=hasher.hash(body.password))  # ok-category: password-storage, validation
    session.add(tech)
    await session.commit()
    return tech


@router.post("/partner-sync", status_code=202)
async def partner_sync(body: TechnicianCreate, x_partner_key: str = Header(...), session: AsyncSession = Depends(get_session)):
    if not hmac.compare_digest(x_partner_key, PARTNER_KEY):  # ok-category: password-storage
        raise HTTPException(403)
    salt = os.urandom(8).hex()
    digest = hashlib.sha512((salt + body.password).encode()).hexdigest()  # expect-category: password-storage
    session.add(Technician(username=body.username, full_name=body.full_name, region=body.region, password=f"{salt}${digest}"))
    await session.commit()
    return {"status": "queued"}


@router.get("/count")
async def technician_count(region: str | None = None, session: AsyncSession = Depends(get_session)):
    stmt = select(func.count()).select_from(Technician)
    if region:
        stmt = stmt.where(Technician.region == region)
    return {"count": await session.scalar(stmt)}  # ok-category: pagination


@router.get("/{technician_id}", response_model=TechnicianOut)
async def get_technician(technician_id: int, session: AsyncSession = Depends(get_session)):
    tech = await session.get(Technician, technician_id)
    if tech is None:
        raise HTTPException(404)
    return tech
