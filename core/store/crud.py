"""Reads and writes on the store, each taking a session and keyword arguments."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from stillroom.store.models import Run, Stage, utcnow


def create_run(session: Session, *, run_id: str, pipeline: str, spec_digest: str, initiator: str) -> Run:
    run = Run(id=run_id, pipeline=pipeline, spec_digest=spec_digest, initiator=initiator)
    session.add(run)
    session.commit()
    return run


def finish_run(session: Session, *, run_id: str, status: str, message: str | None = None,
               summary: dict[str, Any] | None = None) -> Run:
    run = session.get_one(Run, run_id)
    run.status = status
    run.message = message
    run.finished_at = utcnow()
    if summary is not None:
        run.summary = summary
    session.add(run)
    session.commit()
    return run


def add_stage(session: Session, *, run_id: str, position: int, name: str, status: str, started_at,
              seconds: float, outputs: dict[str, Any], message: str | None = None) -> Stage:
    stage = Stage(run_id=run_id, position=position, name=name, status=status, started_at=started_at,
                  seconds=seconds, outputs=outputs, message=message)
    session.add(stage)
    session.commit()
    return stage


def get_run(session: Session, run_id: str) -> Run | None:
    return session.get(Run, run_id)


def list_runs(session: Session, *, limit: int = 100) -> list[Run]:
    return list(session.exec(select(Run).order_by(col(Run.created_at).desc()).limit(limit)))


def list_stages(session: Session, *, run_id: str) -> list[Stage]:
    return list(session.exec(select(Stage).where(Stage.run_id == run_id).order_by(col(Stage.position))))
