import logging
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from sqlalchemy import text
from sqlalchemy.orm import Session

from ..database import get_db
from ..models import Company, Contact
from ..schemas import ContactIn, ContactOut, ContactPatch

log = logging.getLogger(__name__)
router = APIRouter(prefix="/contacts", tags=["contacts"])


@router.get("/", response_model=list[ContactOut])
def list_contacts(
    skip: int = Query(0, ge=0),
    limit: int = Query(50, ge=1, le=500),
    db: Session = Depends(get_db),
):
    return db.query(Contact).order_by(Contact.id).offset(skip).limit(limit).all()  # ok-category: pagination


@router.get("/export", response_model=list[ContactOut])
def export_contacts(db: Session = Depends(get_db)):
    return db.query(Contact).order_by(Contact.last_name).all()  # expect-category: pagination


@router.get("/companies")
def list_companies(db: Session = Depends(get_db)):
    companies = db.query(Company).all()  # expect-category: pagination
    return [{"id": c.id, "name": c.name, "domain": c.domain} for c in companies]


@router.post("/", response_model=ContactOut, status_code=201)
def create_contact(body: ContactIn, db: Session = Depends(get_db)):
    contact = Contact(**body.dict())  # ok-category: validation
    db.add(contact)
    db.commit()
    db.refresh(contact)
    return contact


@router.post("/quick", response_model=ContactOut, status_code=201)
def quick_create(payload: dict = Body(...), db: Session = Depends(get_db)):
    contact = Contact(**payload)  # expect-category: validation
    db.add(contact)
    db.commit()
    return contact


@router.patch("/{contact_id}", response_model=ContactOut)
def patch_contact(contact_id: int, body: ContactPatch, db: Session = Depends(get_db)):
    contact = db.get(Contact, contact_id)
    if contact is None:
        raise HTTPException(404, "contact not found")
    for key, value in body.dict(exclude_unset=True).items():
        setattr(contact, key, value)  # ok-category: validation
    db.commit()
    return contact


@router.put("/{contact_id}/custom-fields")
async def set_custom_fields(contact_id: int, request: Request, db: Session = Depends(get_db)):
    fields = await request.json()
    contact = db.get(Contact, contact_id)
    if contact is None:
        raise HTTPException(404, "contact not found")
    contact.notes = fields.get("notes")  # expect-category: validation
    db.commit()
    return {"ok": True}


@router.get("/search", response_model=list[ContactOut])
def search_contacts(
    q: str = Query(..., min_length=2),
    order: str = Query("last_name"),
    db: Session = Depends(get_db),
):
    rows = db.execute(  # expect-category: sql-injection  # ok-category: validation
        text(
            "SELECT * FROM contacts WHERE last_name ILIKE :q OR email ILIKE :q "
            f"ORDER BY {order} LIMIT 100"
        ),
        {"q": f"%{q}%"},
    )
    return rows.mappings().all()  # ok-category: pagination


SORT_COLUMNS = {"name": "last_name", "created": "created_at", "email": "email"}


@router.get("/by-company/{company_id}", response_model=list[ContactOut])
def contacts_by_company(
    company_id: int,
    sort: str = Query("name"),
    page: int = Query(1, ge=1),
    db: Session = Depends(get_db),
):
    column = SORT_COLUMNS.get(sort, "last_name")
    rows = db.execute(  # ok-category: sql-injection, pagination
        text(f"SELECT * FROM contacts WHERE company_id = :cid ORDER BY {column} LIMIT 50 OFFSET :off"),
        {"cid": company_id, "off": (page - 1) * 50},
    )
    return rows.mappings().all()


@router.delete("/{contact_id}", status_code=204)
def delete_contact(contact_id: int, db: Session = Depends(get_db)):
    try:
        db.query(Contact).filter(Contact.id == contact_id).delete()
        db.commit()
    except Exception as exc:  # ok-category: error-handling
        db.rollback()
        log.error("delete failed for contact %s: %s", contact_id, exc)
        raise HTTPException(500, "could not delete contact")
