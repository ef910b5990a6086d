"""Fixtures every suite shares: a store on SQLite and on PostgreSQL, and a frozen clock.

The store fixtures are parametrised over both databases (ids ``sqlite`` and ``postgresql``),
so any test that asks for ``store_url`` or ``store`` runs on each of them, as medallion runs
its backend tests. SQLite is a fresh file under ``tmp_path``. PostgreSQL is the server at
``ENLACE_TEST_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``);
each test gets its own schema, reached through ``search_path`` in the URL, dropped afterwards.
When that server cannot be reached the PostgreSQL tests skip, saying which URL was tried,
unless ``ENLACE_REQUIRE_POSTGRES`` is set (CI sets it): then they fail.

Timeouts are scaled to the machine (``support.timing``): the scale is worked out here once,
when the session starts, and exported in ``ENLACE_TEST_TIMEOUT_SCALE`` for xdist's workers.

A test that starts a server or a process must be marked ``e2e`` (``support.e2e``): the hooks
here make any other test that tries fail, saying so; ``pytest -m "not e2e"`` is the fast tier.
"""

from __future__ import annotations

import math
import os
import sys
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from enlace.model import timestamps
from enlace.store.engine import sqlite_url
from enlace.store.store import Store
from support import e2e, timing
from support.clock import FrozenClock

# Property tests run on busy machines too (CI, two cores shared with servers): a slow example
# is not a failure of the behaviour tested, so no per-example deadline and no "too slow"
# health check. Each test's own @settings (number of examples) still applies.
settings.register_profile("enlace", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("enlace")

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
POSTGRES_CONNECT_TIMEOUT_SECONDS = 3
SCHEMA_PREFIX = "enlace_t_"

# --- the timeout scale, worked out once per session --------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    """Fix the timeout scale now, in the process starting the session, for its workers too."""
    try:
        os.environ[timing.SCALE_VARIABLE] = f"{timing.scale():g}"
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    e2e.install()


def pytest_report_header(config: pytest.Config) -> str:
    return timing.describe()


# --- servers and processes only in tests marked e2e --------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    """Refuse servers and processes while a test not marked e2e is set up, run, torn down."""
    with e2e.guarding(item.nodeid, marked=item.get_closest_marker("e2e") is not None):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Fail a test not marked e2e that tried to start one, even if its error was caught."""
    report = yield
    attempts = e2e.take_attempts()
    if attempts and report.passed:
        report.outcome = "failed"
        report.longrepr = "\n".join(attempts)
    return report


# --- PostgreSQL server: checked once per session -----------------------------------------


def _postgres_url() -> URL:
    raw = os.environ.get("ENLACE_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


@dataclass(slots=True)
class PostgresServer:
    """The test server: its base URL, and an autocommit engine to create and drop schemas."""

    url: URL
    admin: Engine

    def new_schema(self) -> tuple[str, str]:
        """Create an empty schema; return (schema, URL whose connections all use it)."""
        schema = SCHEMA_PREFIX + uuid.uuid4().hex[:16]
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        # options=-csearch_path=... makes every connection of the URL use the schema;
        # application_name lets teardown find connections a failing test left open.
        url = self.url.update_query_dict(
            {"options": f"-csearch_path={schema}", "application_name": schema}
        )
        return schema, url.render_as_string(hide_password=False)

    def drop_schema(self, schema: str) -> None:
        """Drop a test schema and everything in it, ending connections still using it."""
        with self.admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": schema},
            )
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The reachable PostgreSQL test server, or a skip naming the URL tried."""
    url = _postgres_url()
    shown = url.render_as_string(hide_password=True)
    admin = create_engine(
        url,
        isolation_level="AUTOCOMMIT",
        connect_args={
            "connect_timeout": math.ceil(timing.timeout(POSTGRES_CONNECT_TIMEOUT_SECONDS))
        },
        pool_size=1,
    )
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        admin.dispose()
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        message = f"PostgreSQL not reachable at {shown} (set ENLACE_TEST_POSTGRES_URL): {reason}"
        if os.environ.get("ENLACE_REQUIRE_POSTGRES"):
            pytest.fail(message + "; ENLACE_REQUIRE_POSTGRES is set", pytrace=False)
        pytest.skip(message)
    try:
        yield PostgresServer(url=url, admin=admin)
    finally:
        admin.dispose()


@pytest.fixture
def database_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh PostgreSQL schema for MX's node: the tests of jobs and of several servers,
    which need PostgreSQL (a node's job queue lives there)."""
    schema, url = postgres_server.new_schema()
    try:
        yield url
    finally:
        postgres_server.drop_schema(schema)


# --- store fixtures, parametrised over both databases ------------------------------------


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on: 'sqlite' or 'postgresql'."""
    return str(request.param)


@pytest.fixture
def new_store_url(
    database: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], str]]:
    """A factory of fresh, empty databases of the test's kind (e.g. one per node)."""
    server: PostgresServer | None = None
    if database == "postgresql":
        server = request.getfixturevalue("postgres_server")
    schemas: list[str] = []
    counter = 0

    def make() -> str:
        nonlocal counter
        counter += 1
        if server is None:
            return sqlite_url(str(tmp_path / f"store-{counter}.sqlite"))
        schema, url = server.new_schema()
        schemas.append(schema)
        return url

    yield make
    if server is not None:
        for schema in schemas:
            server.drop_schema(schema)


@pytest.fixture
def store_url(new_store_url: Callable[[], str]) -> str:
    """The URL of a fresh, empty database (no schema yet), SQLite or PostgreSQL."""
    return new_store_url()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated store on a fresh database, closed after the test."""
    opened = Store.open(store_url)
    try:
        yield opened
    finally:
        opened.close()


# --- a frozen clock ----------------------------------------------------------------------


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> Iterator[FrozenClock]:
    """Freeze `enlace.model.timestamps.utc_now` at `support.clock.FIXED_NOW`, wherever it was
    imported."""
    clock = FrozenClock()
    original = timestamps.utc_now
    monkeypatch.setattr(timestamps, "utc_now", clock)
    for name, module in list(sys.modules.items()):
        if name.startswith("enlace.") and getattr(module, "utc_now", None) is original:
            monkeypatch.setattr(module, "utc_now", clock)
    yield clock
    # A module first imported during the test took the clock by name: give it the real one.
    for name, module in list(sys.modules.items()):
        if name.startswith("enlace.") and getattr(module, "utc_now", None) is clock:
            module.utc_now = original  # type: ignore[attr-defined]
