from collections.abc import Sequence

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Customer, Order


class OrderRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, order_id: int) -> Order | None:
        return await self.session.get(Order, order_id)

    async def list_for_customer(self, customer_id: int, limit: int, offset: int) -> tuple[Sequence[Order], int]:
        stmt = (
            select(Order)
            .where(Order.customer_id == customer_id)
            .order_by(Order.created_at.desc())
            .limit(limit)
            .offset(offset)
        )
        rows = (await self.session.scalars(stmt)).all()  # ok-category: pagination
        total = await self.session.scalar(
            select(func.count()).select_from(Order).where(Order.customer_id == customer_id)
        )
        return rows, total or 0

    async def list_by_status(self, status: str) -> Sequence[Order]:
        result = await self.session.execute(select(Order).where(Order.status == status).order_by(Order.id))
        return result.scalars().all()  # expect-category: pagination

    async def search_notes(self, term: str, limit: int) -> Sequence[Order]:
        sql = f"SELECT * FROM orders WHERE note ILIKE '%{term}%' ORDER BY created_at DESC LIMIT {limit}"
        result = await self.session.execute(select(Order).from_statement(text(sql)))  # expect-category: sql-injection
        return result.scalars().all()

    async def daily_revenue(self, days: int) -> list[dict]:
        result = await self.session.execute(  # ok-category: sql-injection
            text(
                "SELECT date_trunc('day', created_at) AS day, SUM(total) AS revenue "
                "FROM orders WHERE status = 'paid' AND created_at > now() - make_interval(days => :days) "
                "GROUP BY 1 ORDER BY 1"
            ),
            {"days": days},
        )
        return [dict(r._mapping) for r in result]

    async def count_by_status(self) -> dict[str, int]:
        rows = await self.session.execute(select(Order.status, func.count()).group_by(Order.status))
        return {status: count for status, count in rows.all()}  # ok-category: pagination


class CustomerRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def by_email(self, email: str) -> Customer | None:
        return await self.session.scalar(select(Customer).where(Customer.email == email))

    async def add(self, customer: Customer) -> Customer:
        self.session.add(customer)
        await self.session.commit()
        await self.session.refresh(customer)
        return customer
