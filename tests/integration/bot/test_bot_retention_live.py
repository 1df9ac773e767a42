"""The app's first worker prunes old finished jobs at start (retention wired through the lifespan)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot import queue
from bot.app import create_app
from tests.integration.bot.live_server import serve
from tests.unit.bot.bot_harness import make_services
from tests.unit.bot.fake_gateway import FakeGateway
from tests.unit.bot.test_bot_retention import _age, _finished, _table_sizes

pytestmark = pytest.mark.integration


def test_the_app_wires_retention_into_its_worker(tmp_path: Path) -> None:
    services = make_services(tmp_path, FakeGateway(), workers=2, worker_poll_s=0.02, retention_days=7)
    store = services.store
    old = _finished(store, queue.DONE)
    _age(store, 8, job_id=old)
    with serve(create_app(services.settings, services)):
        deadline = time.monotonic() + 10
        while queue.job_state(store, old) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
    assert queue.job_state(store, old) is None
    assert _table_sizes(store)[0] == 0
