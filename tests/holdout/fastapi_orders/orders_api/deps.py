import jwt
from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from .config import get_settings
from .db import get_session
from .models import Customer

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token")


async def current_customer(
    token: str = Depends(oauth2_scheme), session: AsyncSession = Depends(get_session)
) -> Customer:
    try:
        claims = jwt.decode(token, get_settings().jwt_secret, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid token") from None
    customer = await session.get(Customer, int(claims["sub"]))
    if customer is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid token")
    return customer


async def require_admin(customer: Customer = Depends(current_customer)) -> Customer:
    if not customer.email.endswith("@orders.example.com"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admin only")
    return customer
