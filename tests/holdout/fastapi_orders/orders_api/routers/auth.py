import logging

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import get_session
from ..models import Customer
from ..repositories import CustomerRepository
from ..schemas import CustomerCreate, CustomerOut, TokenOut
from ..security import create_access_token, hash_password, verify_password

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/register", response_model=CustomerOut, status_code=status.HTTP_201_CREATED)
async def register(body: CustomerCreate, session: AsyncSession = Depends(get_session)):
    repo = CustomerRepository(session)
    if await repo.by_email(body.email):
        raise HTTPException(status.HTTP_409_CONFLICT, "email already registered")
    customer = Customer(  # ok-category: validation, password-storage
        email=body.email,
        full_name=body.full_name,
        hashed_password=hash_password(body.password),
    )
    return await repo.add(customer)


@router.post("/token", response_model=TokenOut)
async def token(form: OAuth2PasswordRequestForm = Depends(), session: AsyncSession = Depends(get_session)):
    customer = await CustomerRepository(session).by_email(form.username)  # ok-category: validation
    if customer is None or not verify_password(form.password, customer.hashed_password):  # ok-category: password-storage
        log.info("failed login for %s", form.username)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "incorrect email or password")
    return TokenOut(access_token=create_access_token(str(customer.id)))
