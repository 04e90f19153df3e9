from pydantic import BaseModel, ConfigDict, Field


class WorkOrderCreate(BaseModel):
    customer: str = Field(max_length=120)
    address: str = Field(max_length=255)
    region: str = Field(pattern=r"^[a-z]{2}-[a-z0-9]{2,6}$")
    priority: int = Field(3, ge=1, le=5)


class WorkOrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer: str
    region: str
    priority: int
    status: str
    technician_id: int | None


class TechnicianCreate(BaseModel):
    username: str = Field(pattern=r"^[a-z][a-z0-9_.]{2,63}$")
    full_name: str = Field(max_length=120)
    region: str
    password: str = Field(min_length=10)


class TechnicianOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    full_name: str
    region: str
