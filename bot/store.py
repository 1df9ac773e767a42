"""The bot's database: deliveries, jobs, runs and the audit log (SQLAlchemy 2).

SQLite by default (one file, WAL, `BEGIN IMMEDIATE` so writers queue instead of failing), PostgreSQL by URL for
several replicas. Job claiming lives in `bot/queue.py`; run reads and state changes live here.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from bot.private_files import private_sqlite
from bot.run_record import RunRecord, record_changes
from bot.states import ACTIVE_STATES, RunState, check_transition

BOT_ACTOR = "intern-bot"


class Unset(enum.Enum):
    UNSET = enum.auto()


UNSET: Final = Unset.UNSET
"""A column argument left out (None is a value: `approved_sha=None` clears the approval)."""


@dataclass(frozen=True, kw_only=True)
class Columns:
    """The run columns a write sets besides the state; a field left UNSET keeps the column as it is."""

    head_sha: str | Unset | None = UNSET
    approved_sha: str | Unset | None = UNSET
    pr_number: int | Unset = UNSET
    branch: str | Unset = UNSET
    flavour: str | Unset = UNSET
    compute: str | Unset = UNSET
    smoke_attempts: int | Unset = UNSET

    def apply_to(self, run: Run) -> None:
        for field in fields(Columns):
            value = getattr(self, field.name)
            if not isinstance(value, Unset):
                setattr(run, field.name, value)


NO_COLUMNS: Final = Columns()


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Delivery(Base):
    __tablename__ = "deliveries"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    event: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(60), default="")
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SeenEvent(Base):
    """The identity of an event already accepted (`bot.events.identity`): a replay under a new delivery id."""

    __tablename__ = "seen_events"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class Job(Base):
    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(60), index=True)
    delivery_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    not_before: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    repo: Mapped[str] = mapped_column(String(200), index=True)
    issue_number: Mapped[int] = mapped_column(Integer)
    pr_number: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    branch: Mapped[str | None] = mapped_column(String(255), nullable=True)
    head_sha: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_sha: Mapped[str | None] = mapped_column(String(64), nullable=True)
    state: Mapped[str] = mapped_column(String(30), default=RunState.PLANNED.value)
    installation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str] = mapped_column(String(100))
    compute: Mapped[str] = mapped_column(String(20), default="actions")
    flavour: Mapped[str | None] = mapped_column(String(60), nullable=True)
    smoke_attempts: Mapped[int] = mapped_column(Integer, default=0)
    data_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def data(self) -> RunRecord:
        """The run's record, validated (keys an older version wrote and this one no longer knows are dropped)."""
        return RunRecord.from_stored(self.data_json)

    @property
    def run_state(self) -> RunState:
        return RunState(self.state)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True, index=True)
    repo: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    from_state: Mapped[str | None] = mapped_column(String(30), nullable=True)
    to_state: Mapped[str | None] = mapped_column(String(30), nullable=True)
    delivery_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


def change_entry(
    run: Run, actor: str, action: str, delivery_id: str | None, detail: str = "", moved_from: str | None = None
) -> AuditEntry:
    """The audit entry of a change to `run`; a state move (`moved_from`) records both states."""
    return AuditEntry(
        run_id=run.id,
        repo=run.repo,
        actor=actor,
        action=action,
        from_state=moved_from,
        to_state=run.state if moved_from is not None else None,
        delivery_id=delivery_id,
        detail=detail,
    )


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE transactions."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Store:
    """Sessions on one database; every method is one transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        private_sqlite(url)  # 0600, before SQLite creates it with the process umask (issue #17, M1)
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def create_all(self) -> None:
        Base.metadata.create_all(self.engine)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """Columns added after a release: `create_all` makes missing tables only, so older databases get them here."""
        present = {column["name"] for column in inspect(self.engine).get_columns("jobs")}
        if "not_before" not in present:
            kind = "TIMESTAMP" if self.dialect == "postgresql" else "DATETIME"
            with self.engine.begin() as connection:
                connection.execute(text(f"ALTER TABLE jobs ADD COLUMN not_before {kind}"))

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    # --- deliveries ------------------------------------------------------------------------------------

    def accept_delivery(
        self,
        delivery_id: str,
        event_name: str,
        action: str,
        job_payload: str | None,
        event_key: str | None = None,
    ) -> bool:
        """Record the delivery, the event's identity and, when `job_payload` is given, its job, in one transaction.

        Returns False (and changes nothing) when the delivery id was seen before (a redelivery), or the event
        identity `event_key` was (the same body replayed under a new delivery id).
        """
        try:
            with self.session() as session:
                session.add(Delivery(id=delivery_id, event=event_name, action=action))
                if event_key is not None:
                    session.add(SeenEvent(key=event_key[:300], delivery_id=delivery_id))
                session.flush()
                if job_payload is not None:
                    session.add(Job(kind=event_name, delivery_id=delivery_id, payload=job_payload))
        except IntegrityError:
            return False
        return True

    def delivery_seen(self, delivery_id: str) -> bool:
        with self.session() as session:
            return session.get(Delivery, delivery_id) is not None

    # --- runs --------------------------------------------------------------------------------------------

    def create_run(
        self,
        *,
        repo: str,
        issue_number: int,
        created_by: str,
        compute: str,
        installation_id: int | None,
        delivery_id: str | None,
        data: RunRecord,
    ) -> Run:
        with self.session() as session:
            run = Run(
                repo=repo,
                issue_number=issue_number,
                created_by=created_by,
                compute=compute,
                installation_id=installation_id,
                data_json=data.to_json(),
            )
            session.add(run)
            session.flush()
            session.add(
                AuditEntry(
                    run_id=run.id,
                    repo=repo,
                    actor=created_by,
                    action="run created",
                    to_state=run.state,
                    delivery_id=delivery_id,
                )
            )
            return run

    def get_run(self, run_id: int) -> Run | None:
        with self.session() as session:
            return session.get(Run, run_id)

    def active_run(self, repo: str, number: int) -> Run | None:
        """The active run of an issue or PR `number` (one active run per PR)."""
        with self.session() as session:
            query = (
                select(Run)
                .where(Run.repo == repo, Run.state.in_([s.value for s in ACTIVE_STATES]))
                .where((Run.issue_number == number) | (Run.pr_number == number))
                .order_by(Run.id.desc())
            )
            return session.scalars(query).first()

    def latest_run(self, repo: str, number: int) -> Run | None:
        with self.session() as session:
            query = (
                select(Run)
                .where(Run.repo == repo)
                .where((Run.issue_number == number) | (Run.pr_number == number))
                .order_by(Run.id.desc())
            )
            return session.scalars(query).first()

    def run_for_branch(self, repo: str, branch: str) -> Run | None:
        with self.session() as session:
            query = select(Run).where(Run.repo == repo, Run.branch == branch).order_by(Run.id.desc())
            return session.scalars(query).first()

    def update_run(
        self,
        run_id: int,
        *,
        record: RunRecord | None = None,
        merge: RunRecord | None = None,
        append: RunRecord | None = None,
        keep_last: int = 50,
        columns: Columns = NO_COLUMNS,
        actor: str = BOT_ACTOR,
        action: str = "",
        delivery_id: str | None = None,
    ) -> Run:
        """Change the run's record inside one locked transaction: replace the fields given to `record`, `merge`
        into its mappings (`sections`, `checks`), `append` to its lists (keeping the last `keep_last`); only the
        fields each `RunRecord` was built with count. Concurrent workers updating different sections of one run
        therefore never lose each other's writes. The state changes only through `transition`. Audited when
        `action` is given."""
        with self.session() as session:
            run = self._locked(session, run_id)
            columns.apply_to(run)
            run.data_json = record_changes(run.data, record, merge, append, keep_last).to_json()
            run.updated_at = utcnow()
            if action:
                session.add(change_entry(run, actor, action, delivery_id))
            return run

    def transition(
        self,
        run_id: int,
        target: RunState,
        *,
        actor: str,
        action: str,
        delivery_id: str | None,
        detail: str = "",
        columns: Columns = NO_COLUMNS,
    ) -> Run:
        """Move the run to `target` if the state machine allows it, set the `columns`, write the audit entry."""
        with self.session() as session:
            run = self._locked(session, run_id)
            previous = run.state
            check_transition(RunState(previous), target)
            run.state = target.value
            columns.apply_to(run)
            run.updated_at = utcnow()
            session.add(change_entry(run, actor, action, delivery_id, detail, moved_from=previous))
            return run

    def _locked(self, session: Session, run_id: int) -> Run:
        """The run, locked for this transaction (a row lock on PostgreSQL; SQLite's writers queue anyway)."""
        run = session.get(Run, run_id, with_for_update=self.dialect == "postgresql")
        if run is None:
            raise LookupError(f"run {run_id} not found")
        return run

    def audit(
        self,
        repo: str,
        actor: str,
        action: str,
        delivery_id: str | None,
        run_id: int | None = None,
        detail: str = "",
    ) -> None:
        with self.session() as session:
            session.add(
                AuditEntry(
                    run_id=run_id,
                    repo=repo,
                    actor=actor,
                    action=action,
                    delivery_id=delivery_id,
                    detail=detail,
                )
            )

    def audit_log(self, run_id: int) -> list[AuditEntry]:
        with self.session() as session:
            query = select(AuditEntry).where(AuditEntry.run_id == run_id).order_by(AuditEntry.id)
            return list(session.scalars(query))
