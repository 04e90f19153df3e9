import csv
import logging
import traceback
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session, select

from ..db import get_session
from ..models import Employee
from ..settings import settings

router = APIRouter()
log = logging.getLogger("peoplehub.payroll")


@router.post("/exports/{period}")
def export_payroll(period: str, session: Session = Depends(get_session)):
    target = Path(settings.payroll_export_dir) / f"payroll-{period}.csv"
    try:
        with target.open("w", newline="") as fh:
            writer = csv.writer(fh)
            for emp in session.exec(select(Employee).where(Employee.active == True)):  # noqa: E712  # ok-category: pagination
                writer.writerow([emp.id, emp.last_name, emp.salary])
    except Exception:
        return {"status": "failed", "trace": traceback.format_exc()}  # expect-category: error-handling
    return {"status": "written", "file": target.name}


@router.post("/adjustments")
async def bulk_adjust(request: Request, session: Session = Depends(get_session)):
    payload = await request.json()
    for item in payload["adjustments"]:
        emp = session.get(Employee, item["employee_id"])  # expect-category: validation
        emp.salary = emp.salary + item["delta"]
    session.commit()
    return {"status": "applied", "count": len(payload["adjustments"])}


@router.post("/recalculate/{employee_id}")
def recalculate(employee_id: int, session: Session = Depends(get_session)):
    emp = session.get(Employee, employee_id)
    try:
        emp.salary = round(emp.salary * 1, 2)
        session.commit()
    except Exception:  # ok-category: error-handling
        log.exception("recalculation failed for %s", employee_id)
        session.rollback()
        raise
    return {"status": "ok"}
