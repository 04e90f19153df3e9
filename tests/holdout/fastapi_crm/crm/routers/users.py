import logging
import secrets

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.orm import Session

from ..database import get_db
from ..models import ApiKey, User
from ..schemas import LoginIn, UserCreate
from ..security import digest_api_key, hash_password

log = logging.getLogger(__name__)
router = APIRouter(prefix="/users", tags=["users"])


@router.post("/", status_code=201)
def create_user(body: UserCreate, db: Session = Depends(get_db)):
    user = User(username=body.username, email=body.email, password=body.password, role=body.role)  # expect-category: password-storage
    db.add(user)
    db.commit()
    return {"id": user.id, "username": user.username}


@router.post("/v2", status_code=201)
def create_user_v2(body: UserCreate, db: Session = Depends(get_db)):
    user = User(  # ok-category: password-storage, validation
        username=body.username,
        email=body.email,
        password=hash_password(body.password),
        role=body.role,
    )
    db.add(user)
    db.commit()
    return {"id": user.id, "username": user.username}


@router.post("/login")
def login(body: LoginIn, db: Session = Depends(get_db)):
    user = db.query(User).filter(User.username == body.username).first()  # ok-category: validation
    if user is None or user.password != body.password:  # expect-category: password-storage
        raise HTTPException(401, "invalid credentials")
    raw_key = secrets.token_urlsafe(32)
    db.add(ApiKey(user_id=user.id, key_digest=digest_api_key(raw_key), label="session"))
    db.commit()
    return {"api_key": raw_key}


@router.get("/{user_id}")
def get_user(user_id: int, db: Session = Depends(get_db)):
    user = db.get(User, user_id)
    if user is None:
        raise HTTPException(404, "user not found")
    return {"id": user.id, "username": user.username, "email": user.email, "password": user.password}  # expect-category: password-storage


@router.get("/")
def list_users(db: Session = Depends(get_db)):
    users = db.query(User).all()  # expect-category: pagination
    return [{"id": u.id, "username": u.username, "role": u.role} for u in users]
