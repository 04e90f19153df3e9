from datetime import date

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from .db import Base
from .settings import STAFF_PASSWORD_METHOD


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20), default="nurse")
    password_hash: Mapped[str] = mapped_column(String(255))
    kiosk_password: Mapped[str | None] = mapped_column(String(64))

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=STAFF_PASSWORD_METHOD)  # expect-category: password-storage

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)  # ok-category: password-storage

    def to_dict(self) -> dict:
        return {"id": self.id, "username": self.username, "full_name": self.full_name, "role": self.role}


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str] = mapped_column(String(20), unique=True, index=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80), index=True)
    birth_date: Mapped[date] = mapped_column(Date)
    ward: Mapped[str | None] = mapped_column(String(20))
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "mrn": self.mrn,
            "name": f"{self.first_name} {self.last_name}",
            "birth_date": self.birth_date.isoformat(),
            "ward": self.ward,
        }
