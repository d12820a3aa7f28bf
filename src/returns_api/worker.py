"""A worker's background jobs, and `returns-api worker`, which runs them in a process of its own.

`Background` is what a worker does: deliver webhooks (the dispatcher), expire returns not
shipped in time (the expiry sweep), buy return labels (the label worker), carry out refunds
and send customer e-mail (when on), side by side.
`returns-api worker` runs it until SIGTERM/SIGINT; in embedded mode the API process runs it
too (`app.py`).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from prometheus_client import CollectorRegistry, start_http_server
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from returns_api.core.db import make_engine, make_sessionmaker
from returns_api.core.heap import freeze_startup_heap
from returns_api.core.jobs import JobConfig
from returns_api.core.logging import configure_logging
from returns_api.core.settings import Settings
from returns_api.notifications.worker import NotificationWorker
from returns_api.returns.expiry import ExpirySweep
from returns_api.settlement.refund_worker import RefundWorker
from returns_api.settlement.registry import executors_of
from returns_api.shipping.carrier import Carrier
from returns_api.shipping.labels import LabelWorker
from returns_api.shipping.registry import carriers_of, label_carrier
from returns_api.webhooks.dispatcher import Dispatcher, DispatcherConfig, DispatcherMetrics


class Background:
    """The webhook dispatcher, the expiry sweep and the label worker of one process."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        registry: CollectorRegistry,
        carriers: dict[str, Carrier] | None = None,
    ) -> None:
        config = DispatcherConfig.from_settings(settings)
        self.dispatcher = Dispatcher(sessionmaker, config, DispatcherMetrics(registry))
        self.expiry = ExpirySweep(
            sessionmaker, settings.expiry_sweep_seconds, registry, worker_id=config.worker_id
        )
        carrier = label_carrier(settings, carriers or carriers_of(settings))
        labels = JobConfig.from_settings(settings, "label")
        self.labels = LabelWorker(sessionmaker, carrier, labels)
        executor = executors_of(settings).get(settings.refund_executor)
        self.refunds = (
            RefundWorker(
                sessionmaker,
                executor,
                JobConfig.from_settings(settings, "refund"),
                recheck_seconds=settings.refund_recheck_seconds,
            )
            if executor is not None
            else None
        )

        # Customer e-mail, when it is on or SMTP is set up for the acknowledgements of
        # withdrawals (the outbox queues none otherwise).
        self.notifications = (
            NotificationWorker.from_settings(sessionmaker, settings)
            if settings.mail_worker_runs
            else None
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set; then the delivery batch in flight finishes."""
        jobs = [self.dispatcher.run(stop), self.expiry.run(stop), self.labels.run(stop)]
        if self.refunds is not None:
            jobs.append(self.refunds.run(stop))
        if self.notifications is not None:
            jobs.append(self.notifications.run(stop))
        await asyncio.gather(*jobs)

    async def aclose(self) -> None:
        await self.dispatcher.aclose()


async def _main(settings: Settings, metrics_port: int | None) -> None:
    registry = CollectorRegistry()
    if metrics_port is not None:
        start_http_server(metrics_port, registry=registry)
    engine = make_engine(settings)
    background = Background(make_sessionmaker(engine), settings, registry)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Stop claiming; the batch in flight finishes (each send is bounded by the timeout)
        # and anything unfinished is left to its lease for another worker.
        loop.add_signal_handler(sig, stop.set)
    if settings.gc_freeze_after_startup:
        freeze_startup_heap()
    try:
        await background.run(stop)
    finally:
        await background.aclose()
        await engine.dispose()


def run_worker(settings: Settings, *, metrics_port: int | None = None) -> None:
    configure_logging(settings)
    # uvloop (installed with uvicorn[standard]) where it exists, as uvicorn uses for the API:
    # the dispatcher is network-bound, and the stdlib loop's overhead showed in its profile.
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(_main(settings, metrics_port))


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # Windows, or an install without uvicorn[standard]
        return None
    return uvloop.new_event_loop
