from datetime import date
from decimal import Decimal

from pydantic import EmailStr
from sqlmodel import Field, SQLModel


class Department(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    cost_centre: str


class EmployeeBase(SQLModel):
    first_name: str = Field(max_length=80)
    last_name: str = Field(max_length=80, index=True)
    email: EmailStr
    job_title: str = Field(max_length=120)
    department_id: int = Field(foreign_key="department.id", index=True)
    hired_on: date


class Employee(EmployeeBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    salary: Decimal = Field(default=0, max_digits=12, decimal_places=2)
    active: bool = True


class EmployeeCreate(EmployeeBase):
    salary: Decimal = Field(ge=0)


class EmployeeUpdate(SQLModel):
    job_title: str | None = Field(default=None, max_length=120)
    department_id: int | None = None


class EmployeeRead(EmployeeBase):
    id: int


class UserAccount(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True)
    hashed_password: str
    employee_id: int | None = Field(default=None, foreign_key="employee.id")
    is_admin: bool = False


class UserCreate(SQLModel):
    email: EmailStr
    password: str = Field(min_length=12, max_length=128)
    employee_id: int | None = None


class PasswordChange(SQLModel):
    current_password: str
    new_password: str = Field(min_length=12)


class LeaveRequest(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    starts_on: date
    ends_on: date
    kind: str = "annual"
    status: str = "pending"


class LeaveCreate(SQLModel):
    employee_id: int
    starts_on: date
    ends_on: date
    kind: str = Field(default="annual", regex="^(annual|sick|parental|unpaid)$")
