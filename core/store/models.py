"""The store's tables. Reads and writes go through the functions in ``crud``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, LargeBinary
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Run(SQLModel, table=True):
    __tablename__ = "runs"

    id: str = Field(primary_key=True)
    pipeline: str
    spec_digest: str
    initiator: str
    status: str = "running"
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    message: str | None = None
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Stage(SQLModel, table=True):
    __tablename__ = "stages"

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="runs.id", index=True)
    position: int
    name: str
    status: str
    started_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    seconds: float = 0.0
    message: str | None = None
    outputs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# --- ledger (issue #3) ---------------------------------------------------------
# The signed audit log. Written only through stillroom.ledger.log.Ledger, which
# holds the single-writer lock; verification trusts none of these columns
# beyond the signed bytes in ``ledger_entries.leaf``.


class LedgerEntry(SQLModel, table=True):
    __tablename__ = "ledger_entries"

    seq: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    time: str
    kind: str = Field(index=True)
    actor: str
    signer: str
    run_id: str | None = Field(default=None, index=True)
    leaf: bytes = Field(sa_type=LargeBinary)  # the RFC 8785 canonical JSON, exactly as signed
    leaf_hash: bytes = Field(sa_type=LargeBinary)
    signature: bytes = Field(sa_type=LargeBinary)


class LedgerNode(SQLModel, table=True):
    """The hash of the complete subtree at ``level`` covering leaves [idx * 2**level, (idx + 1) * 2**level)."""

    __tablename__ = "ledger_nodes"
    __table_args__ = {"sqlite_with_rowid": False}  # the key is the row: stored once, not twice

    level: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    idx: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    hash: bytes = Field(sa_type=LargeBinary)


class LedgerCheckpoint(SQLModel, table=True):
    __tablename__ = "ledger_checkpoints"

    id: int | None = Field(default=None, primary_key=True)
    size: int = Field(sa_type=BigInteger, index=True)
    root: bytes = Field(sa_type=LargeBinary)
    note: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class LedgerKey(SQLModel, table=True):
    """Every key the ledger has introduced; names are never reused."""

    __tablename__ = "ledger_keys"

    name: str = Field(primary_key=True)
    verifier_key: str
    role: str
    introduced_seq: int = Field(sa_type=BigInteger)
    retired_seq: int | None = Field(default=None, sa_type=BigInteger)


# --- governance (issue #6) -----------------------------------------------------
# People, the requests they decide, and their signed decisions. A decision's
# authority is its DSSE envelope, verified against the person's key; the other
# columns are an index into it.


class User(SQLModel, table=True):
    __tablename__ = "users"

    name: str = Field(primary_key=True)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    key_name: str
    verifier_key: str
    password_hash: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Request(SQLModel, table=True):
    __tablename__ = "requests"

    id: str = Field(primary_key=True)
    kind: str = Field(index=True)
    run_id: str | None = Field(default=None, index=True)
    initiator: str
    subject: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    digest: str
    policy_digest: str
    status: str = Field(default="pending", index=True)
    gates: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Decision(SQLModel, table=True):
    __tablename__ = "decisions"

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(foreign_key="requests.id", index=True)
    user: str
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    decision: str
    comment: str = ""
    request_digest: str
    policy_digest: str
    envelope: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
