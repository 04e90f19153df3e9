from pydantic import BaseModel, Field

READING_SCHEMA = {
    "type": "object",
    "required": ["ts", "metric", "value"],
    "properties": {
        "ts": {"type": "string", "format": "date-time"},
        "metric": {"type": "string", "enum": ["temp", "humidity", "pressure", "battery"]},
        "value": {"type": "number"},
    },
    "additionalProperties": False,
}


class DeviceIn(BaseModel):
    serial: str = Field(pattern=r"^[A-Z0-9]{8,16}$")
    site: str = Field(max_length=64)
    model: str = Field(max_length=64)
    firmware: str = Field(default="1.0.0", max_length=16)


class DeviceProvision(BaseModel):
    serial: str = Field(pattern=r"^[A-Z0-9]{8,16}$")
    admin_password: str = Field(min_length=10)
