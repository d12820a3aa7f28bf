"""Writing demo data: generated chunks inserted in batches with Core, one transaction each."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from returns_api.core.errors import Conflict
from returns_api.demo.config import DemoConfig, demo_order_id
from returns_api.demo.generator import generate
from returns_api.demo.repository import DemoRepository
from returns_api.policies.service import current_policy


class DemoDataExists(Conflict):
    """Demo data of this seed is already in the database."""

    slug = "demo-data-exists"


async def load_demo_data(
    sessionmaker: async_sessionmaker[AsyncSession], config: DemoConfig
) -> dict[str, int]:
    """Insert the demo data of `config`; rows written per table. Returns are judged with the
    current policy version (its reasons, fees and ship-within days)."""
    async with sessionmaker() as session:
        version, policy = await current_policy(session)
        first = demo_order_id(config.seed, 1)
        if await DemoRepository(session).order_exists(first):
            raise DemoDataExists(
                f"Demo data of seed {config.seed} is already in this database; pick another --seed."
            )
    counts: dict[str, int] = {}
    for chunk in generate(config, version, policy):
        # A transaction per chunk: a long run shows up as it goes, and memory stays flat.
        async with sessionmaker() as session, session.begin():
            for name, rows in chunk.tables():
                if rows:
                    await DemoRepository(session).add_rows(name, rows)
                counts[name] = counts.get(name, 0) + len(rows)
    return counts
