from fastapi import Depends
from sqlalchemy import text
from sqlmodel import Session, select

from .db import get_session
from .errors import NotFound
from .models import Employee, LeaveRequest, UserAccount


class EmployeeRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, employee_id: int) -> Employee:
        employee = self.session.get(Employee, employee_id)
        if employee is None:
            raise NotFound("employee", employee_id)
        return employee

    def page(self, *, department_id: int | None, offset: int, limit: int) -> list[Employee]:
        stmt = select(Employee).where(Employee.active == True).order_by(Employee.last_name)  # noqa: E712
        if department_id is not None:
            stmt = stmt.where(Employee.department_id == department_id)
        return self.session.exec(stmt.offset(offset).limit(limit)).all()  # ok-category: pagination

    def in_department(self, department_id: int) -> list[Employee]:
        return self.session.exec(select(Employee).where(Employee.department_id == department_id)).all()  # expect-category: pagination

    def search_by_name(self, term: str):
        sql = "SELECT id, first_name, last_name, job_title FROM employee WHERE last_name ILIKE '%" + term + "%' ORDER BY last_name LIMIT 25"
        return self.session.execute(text(sql)).mappings().all()  # expect-category: sql-injection ok-category: pagination

    def headcount_by_title(self, department_id: int):
        return self.session.execute(  # ok-category: sql-injection, pagination
            text("SELECT job_title, COUNT(*) AS n FROM employee WHERE department_id = :d GROUP BY job_title"),
            {"d": department_id},
        ).mappings().all()

    def add(self, employee: Employee) -> Employee:
        self.session.add(employee)
        self.session.commit()
        self.session.refresh(employee)
        return employee

    def update(self, employee: Employee, changes: dict) -> Employee:
        for field, value in changes.items():
            setattr(employee, field, value)
        self.session.add(employee)
        self.session.commit()
        return employee


class LeaveRepository:
    def __init__(self, session: Session):
        self.session = session

    def for_employee(self, employee_id: int, *, limit: int = 50) -> list[LeaveRequest]:
        stmt = select(LeaveRequest).where(LeaveRequest.employee_id == employee_id).order_by(LeaveRequest.starts_on.desc())
        return self.session.exec(stmt.limit(limit)).all()  # ok-category: pagination

    def pending(self) -> list[LeaveRequest]:
        return list(self.session.exec(select(LeaveRequest).where(LeaveRequest.status == "pending")))  # expect-category: pagination

    def create(self, **fields) -> LeaveRequest:
        leave = LeaveRequest(**fields)
        self.session.add(leave)
        self.session.commit()
        self.session.refresh(leave)
        return leave


class AccountRepository:
    def __init__(self, session: Session):
        self.session = session

    def by_email(self, email: str) -> UserAccount | None:
        return self.session.exec(select(UserAccount).where(UserAccount.email == email)).first()

    def add(self, account: UserAccount) -> UserAccount:
        self.session.add(account)
        self.session.commit()
        return account


def get_employee_repo(session: Session = Depends(get_session)) -> EmployeeRepository:
    return EmployeeRepository(session)


def get_leave_repo(session: Session = Depends(get_session)) -> LeaveRepository:
    return LeaveRepository(session)


def get_account_repo(session: Session = Depends(get_session)) -> AccountRepository:
    return AccountRepository(session)
