import asyncio
import logging
from collections import defaultdict
from datetime import datetime, timezone

log = logging.getLogger("telemetry.ingest")


class IngestBuffer:
    """Batches readings in memory and flushes them to Mongo every few seconds."""

    def __init__(self, db, max_batch: int = 500):
        self.collection = db["readings"]
        self.max_batch = max_batch
        self.pending: dict[str, list[dict]] = defaultdict(list)

    def add(self, device_id: str, readings: list[dict]) -> None:
        self.pending[device_id].extend(readings)
        if sum(len(v) for v in self.pending.values()) >= self.max_batch:
            asyncio.get_running_loop().create_task(self.flush())  # expect-category: error-handling

    async def flush(self) -> None:
        batch, self.pending = self.pending, defaultdict(list)
        docs = [dict(r, device_id=d) for d, rs in batch.items() for r in rs]
        try:
            await self.collection.insert_many(docs, ordered=False)
        except Exception:  # expect-category: error-handling
            pass


async def run_rollups(pool, every: int = 60) -> None:
    while True:
        started = datetime.now(timezone.utc)
        try:
            async with pool.acquire() as conn:
                await conn.execute("CALL refresh_hourly_rollups($1)", started)  # ok-category: sql-injection
        except asyncio.CancelledError:
            raise
        except Exception:  # ok-category: error-handling
            log.exception("hourly rollup failed; retrying in %ss", every)
        await asyncio.sleep(every)
