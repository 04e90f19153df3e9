import logging

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm

from ..models import PasswordChange, UserAccount, UserCreate
from ..repositories import AccountRepository, get_account_repo
from ..security import create_access_token, hash_password, verify_password

router = APIRouter()
log = logging.getLogger("peoplehub.auth")


@router.post("/accounts", status_code=201)
def create_account(body: UserCreate, repo: AccountRepository = Depends(get_account_repo)):
    if repo.by_email(body.email):
        raise HTTPException(status.HTTP_409_CONFLICT, "email already registered")
    account = UserAccount(email=body.email, hashed_password=hash_password(body.password), employee_id=body.employee_id)  # ok-category: password-storage, validation
    repo.add(account)
    return {"id": account.id}


@router.post("/token")
def login(form: OAuth2PasswordRequestForm = Depends(), repo: AccountRepository = Depends(get_account_repo)):
    account = repo.by_email(form.username)
    if account is None or not verify_password(form.password, account.hashed_password):  # ok-category: password-storage
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bad credentials")
    return {"access_token": create_access_token(account.email), "token_type": "bearer"}


@router.post("/accounts/{account_id}/password")
def change_password(account_id: int, body: PasswordChange, repo: AccountRepository = Depends(get_account_repo)):
    account = repo.session.get(UserAccount, account_id)
    if account is None or not verify_password(body.current_password, account.hashed_password):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "current password is wrong")
    log.info("password change for %s (new=%s)", account.email, body.new_password)  # expect-category: password-storage
    account.hashed_password = hash_password(body.new_password)  # ok-category: password-storage
    repo.add(account)
    return {"status": "changed"}
