"""Writing demo data: generated chunks inserted in batches with Core, one transaction each."""

from __future__ import annotations

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from returns_api.core.errors import Conflict
from returns_api.demo.config import DemoConfig, demo_order_id
from returns_api.demo.generator import generate
from returns_api.models import Base, Order
from returns_api.policies.service import current_policy


class DemoDataExists(Conflict):
    """Demo data of this seed is already in the database."""

    slug = "demo-data-exists"


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


async def load_demo_data(
    sessionmaker: async_sessionmaker[AsyncSession], config: DemoConfig
) -> dict[str, int]:
    """Insert the demo data of `config`; rows written per table. Returns are judged with the
    current policy version (its reasons, fees and ship-within days)."""
    async with sessionmaker() as session:
        version, policy = await current_policy(session)
        first = demo_order_id(config.seed, 1)
        if await session.scalar(select(Order.id).where(Order.id == first)) is not None:
            raise DemoDataExists(
                f"Demo data of seed {config.seed} is already in this database; pick another --seed."
            )
    counts: dict[str, int] = {}
    for chunk in generate(config, version, policy):
        # A transaction per chunk: a long run shows up as it goes, and memory stays flat.
        async with sessionmaker() as session, session.begin():
            for name, rows in chunk.tables():
                if rows:
                    await session.execute(insert(_table(name)), rows)
                counts[name] = counts.get(name, 0) + len(rows)
    return counts
