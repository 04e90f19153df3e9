from typing import Any

from fastapi import APIRouter, Body, Depends, Query

from ..models import Employee, EmployeeCreate, EmployeeRead, EmployeeUpdate
from ..repositories import EmployeeRepository, get_employee_repo

router = APIRouter()


@router.get("/", response_model=list[EmployeeRead])
def list_employees(
    department_id: int | None = None,
    offset: int = Query(0, ge=0),
    limit: int = Query(50, ge=1, le=200),
    repo: EmployeeRepository = Depends(get_employee_repo),
):
    return repo.page(department_id=department_id, offset=offset, limit=limit)


@router.get("/by-department/{department_id}", response_model=list[EmployeeRead])
def employees_in_department(department_id: int, repo: EmployeeRepository = Depends(get_employee_repo)):
    return repo.in_department(department_id)


@router.get("/search")
def search_employees(q: str = Query(..., min_length=2), repo: EmployeeRepository = Depends(get_employee_repo)):
    return repo.search_by_name(q)


@router.get("/headcount/{department_id}")
def headcount(department_id: int, repo: EmployeeRepository = Depends(get_employee_repo)):
    return repo.headcount_by_title(department_id)


@router.post("/", response_model=EmployeeRead, status_code=201)
def hire(body: EmployeeCreate, repo: EmployeeRepository = Depends(get_employee_repo)):
    return repo.add(Employee.model_validate(body))  # ok-category: validation


@router.put("/{employee_id}", response_model=EmployeeRead)
def update_employee(employee_id: int, body: EmployeeUpdate, repo: EmployeeRepository = Depends(get_employee_repo)):
    employee = repo.get(employee_id)
    return repo.update(employee, body.model_dump(exclude_unset=True))  # ok-category: validation


@router.patch("/{employee_id}", response_model=EmployeeRead)
def patch_employee(employee_id: int, changes: dict[str, Any] = Body(...), repo: EmployeeRepository = Depends(get_employee_repo)):
    employee = repo.get(employee_id)
    return repo.update(employee, changes)  # expect-category: validation
