"""OpenTelemetry: one trace per run, a span per stage, exported over OTLP/HTTP to a collector the policy allows.

Off until the workspace's ``stillroom.toml`` has::

    [observers.otel]
    endpoint = "http://127.0.0.1:4318/v1/traces"   # the collector's OTLP/HTTP traces address
    service_name = "stillroom"                     # optional

Spans carry what the ledger's stage entries carry (status, seconds, the
stage's scalar outputs: counts and digests), never records. The trace id is
ledgered (``observer.otel``) so a trace and a ledger entry can be matched.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stillroom import hookimpl
from stillroom.errors import ConfigError
from stillroom.plugins.observers.destination import check_destination, settings, text_option

NAME = "otel"
_RUNS: dict[str, Traced] = {}
# Preflight ends before on_run_start tells an observer whether it is configured; its end waits here.
_EARLY: dict[str, list[tuple[str, Mapping[str, Any], int]]] = {}


@dataclass
class Traced:
    """One run's tracer provider (its own, so runs never share an exporter) and its root span."""

    provider: Any
    tracer: Any
    span: Any


def span_exporter(endpoint: str) -> Any:
    """The OTLP/HTTP exporter to ``endpoint``."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=endpoint)


@hookimpl
def on_run_start(run: Mapping[str, Any], ctx: Any) -> None:
    early = _EARLY.pop(run["run_id"], [])
    section = settings(ctx, NAME)
    if section is None:
        return
    endpoint = text_option(section, "endpoint", NAME)
    collector = check_destination("OpenTelemetry collector", endpoint, ctx)
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        raise ConfigError("[observers.otel] is configured and the OpenTelemetry SDK is not installed; "
                          "pip install 'stillroom[otel]'") from None
    provider = TracerProvider(resource=Resource.create({"service.name": text_option(section, "service_name", NAME,
                                                                                      "stillroom")}))
    provider.add_span_processor(BatchSpanProcessor(span_exporter(endpoint)))
    tracer = provider.get_tracer("stillroom")
    started = min((end - int(result["seconds"] * 1e9) for _, result, end in early), default=time.time_ns())
    span = tracer.start_span(f"run {run['pipeline']}", start_time=started,
                             attributes={f"stillroom.{key}": str(value) for key, value in run.items()})
    traced = _RUNS[run["run_id"]] = Traced(provider, tracer, span)
    for stage, result, end in early:
        _stage_span(traced, stage, result, end)
    ctx.record("observer.otel", {"collector": collector, "trace_id": f"{span.get_span_context().trace_id:032x}"})


@hookimpl
def on_stage_end(run: Mapping[str, Any], stage: str, result: Mapping[str, Any]) -> None:
    traced = _RUNS.get(run["run_id"])
    if traced is None:
        _EARLY.setdefault(run["run_id"], []).append((stage, result, time.time_ns()))
    else:
        _stage_span(traced, stage, result, time.time_ns())


@hookimpl
def on_run_end(run: Mapping[str, Any], status: str) -> None:
    _EARLY.pop(run["run_id"], None)
    traced = _RUNS.pop(run["run_id"], None)
    if traced is None:
        return
    from opentelemetry.trace import StatusCode

    traced.span.set_attribute("stillroom.status", status)
    traced.span.set_status(StatusCode.OK if status == "succeeded" else StatusCode.ERROR)
    traced.span.end()
    traced.provider.shutdown()  # exports what is left, under the run's egress guard


def _stage_span(traced: Traced, stage: str, result: Mapping[str, Any], end: int) -> None:
    from opentelemetry.trace import StatusCode, set_span_in_context

    scalars = {f"stillroom.output.{key}": value for key, value in result["outputs"].items()
               if isinstance(value, (str, int, float, bool))}
    span = traced.tracer.start_span(
        stage, context=set_span_in_context(traced.span), start_time=end - int(result["seconds"] * 1e9),
        attributes={"stillroom.stage": stage, "stillroom.status": result["status"],
                    "stillroom.seconds": float(result["seconds"]), **scalars})
    span.set_status(StatusCode.ERROR if result["status"] == "failed" else StatusCode.OK)
    span.end(end_time=end)
