from pydantic import BaseModel, EmailStr, Field


class ContactIn(BaseModel):
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    company_id: int | None = None


class ContactPatch(BaseModel):
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    notes: str | None = None


class ContactOut(BaseModel):
    id: int
    first_name: str | None
    last_name: str | None
    email: str | None

    class Config:
        orm_mode = True


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=80)
    email: EmailStr
    password: str = Field(min_length=10)
    role: str = "sales"


class LoginIn(BaseModel):
    username: str
    password: str
