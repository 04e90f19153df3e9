import hashlib

from argon2 import PasswordHasher

_hasher = PasswordHasher()


class DeviceRepository:
    def __init__(self, pool):
        self.pool = pool

    async def list_for_site(self, site: str, *, limit: int, offset: int):
        async with self.pool.acquire() as conn:
            return await conn.fetch("SELECT id, serial, site, model FROM devices WHERE site = $1 ORDER BY id LIMIT $2 OFFSET $3", site, limit, offset)  # ok-category: sql-injection, pagination

    async def all_devices(self):
        async with self.pool.acquire() as conn:
            return await conn.fetch("SELECT id, serial, site, model FROM devices ORDER BY id")  # expect-category: pagination

    async def create(self, data: dict):
        async with self.pool.acquire() as conn:
            return await conn.fetchval(
                "INSERT INTO devices (serial, site, model, firmware) VALUES ($1, $2, $3, $4) RETURNING id",
                data["serial"], data["site"], data["model"], data.get("firmware", "1.0.0"),
            )

    async def update_fields(self, device_id: int, fields: dict):
        assignments = ", ".join(f"{column} = '{value}'" for column, value in fields.items())
        async with self.pool.acquire() as conn:
            await conn.execute(f"UPDATE devices SET {assignments} WHERE id = $1", device_id)  # expect-category: sql-injection

    async def set_admin_password(self, serial: str, password: str):
        async with self.pool.acquire() as conn:
            await conn.execute("UPDATE devices SET admin_password_hash = $1 WHERE serial = $2", _hasher.hash(password), serial)  # ok-category: password-storage, sql-injection

    async def set_service_password(self, serial: str, password: str):
        digest = hashlib.sha1(password.encode()).hexdigest()  # expect-category: password-storage
        async with self.pool.acquire() as conn:
            await conn.execute("UPDATE devices SET service_password_hash = $1 WHERE serial = $2", digest, serial)

    async def readings_between(self, device_id: int, start: str, end: str, metric: str):
        query = "SELECT ts, metric, value FROM readings_hourly WHERE device_id = %d AND ts BETWEEN '%s' AND '%s'" % (device_id, start, end)
        if metric:
            query += " AND metric = '%s'" % metric
        async with self.pool.acquire() as conn:
            return await conn.fetch(query + " ORDER BY ts LIMIT 5000")  # expect-category: sql-injection


class ReadingStore:
    """Raw readings live in Mongo, one document per sample."""

    def __init__(self, db):
        self.collection = db["readings"]

    async def latest(self, device_id: str, limit: int = 100):
        cursor = self.collection.find({"device_id": device_id}).sort("ts", -1).limit(limit)  # ok-category: pagination
        return [doc async for doc in cursor]

    async def everything(self, device_id: str, metric: str | None = None):
        query = {"device_id": device_id}
        if metric:
            query["metric"] = metric
        cursor = self.collection.find(query, {"_id": 0})  # expect-category: pagination
        return await cursor.to_list(length=None)

    async def insert_many(self, docs: list[dict]):
        if docs:
            await self.collection.insert_many(docs, ordered=False)

    @staticmethod
    def fingerprint(doc: dict) -> str:
        return hashlib.sha256(repr(sorted(doc.items())).encode()).hexdigest()  # ok-category: password-storage
