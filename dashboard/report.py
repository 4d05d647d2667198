"""The audit record of one request: a self-contained, printable PDF of everything the Request page shows.

A reviewer files it; an auditor later checks the filed copy against the ledger, which holds the file's
sha256 in a ``request.exported`` entry signed with the exporting person's own key (who filed what). The font is embedded
(DejaVu Sans, shipped with matplotlib) and the charts are images inside the file, so nothing is fetched
to read or print it; tables wrap their cells instead of clipping them. No Streamlit here.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: the charts go into the file
import matplotlib.pyplot as plt  # noqa: E402
from fpdf import FPDF  # noqa: E402
from fpdf.fonts import FontFace  # noqa: E402

from stillroom import approvals  # noqa: E402
from stillroom.artifacts import atomic_write_bytes, sha256_bytes  # noqa: E402
from stillroom.dashboard import evidence, theme  # noqa: E402
from stillroom.errors import UsageError  # noqa: E402
from stillroom.users import Person  # noqa: E402

FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
EXPORTED = "request.exported"


def export_report(ws, request_id: str, out: Path, *, person: Person) -> dict[str, Any]:
    """Write the PDF to ``out`` (which must not exist; written whole or not at all) and ledger its digest."""
    out = Path(out)
    if out.suffix.lower() != ".pdf":
        raise UsageError(f"--out {out}: the audit record is a PDF; name the file *.pdf")
    if out.exists():
        raise UsageError(f"{out} already exists; choose a new file for the audit record")
    if not out.parent.is_dir():
        raise UsageError(f"{out.parent} is not a directory")
    data = render(ws, request_id)
    atomic_write_bytes(out, data)
    entry = _ledger(ws, request_id, data, person)
    return {"path": str(out), "bytes": len(data), "sha256": sha256_bytes(data), "ledger_seq": entry.seq,
            "request_id": request_id}


def pdf_bytes(ws, request_id: str, *, person: Person) -> bytes:
    """The PDF for the dashboard's download button, its digest ledgered as for ``export_report``."""
    data = render(ws, request_id)
    _ledger(ws, request_id, data, person)
    return data


def _ledger(ws, request_id: str, data: bytes, person: Person):
    request = approvals.get_request(ws, request_id)
    entry = ws.ledger().record(EXPORTED, {"request_id": request_id, "request_digest": request.digest,
                                          "sha256": sha256_bytes(data), "bytes": len(data), "format": "pdf"},
                               actor=person.name, run_id=request.run_id, signed_by=(person.key_name, person.key))
    ws.ledger().checkpoint()
    return entry


def render(ws, request_id: str) -> bytes:
    """The report's bytes; raises ``UsageError`` for an unknown request."""
    ev = evidence.gather(ws, request_id)
    badge = evidence.ledger_badge(ws, request_id)
    req = ev.request
    pdf = _Pdf(orientation="L", format="A4")
    pdf.set_title(f"Stillroom audit record {req['id']}")
    pdf.set_creator("stillroom requests export")
    pdf.add_font("DejaVu", "", str(FONT / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVuMono", "", str(FONT / "DejaVuSansMono.ttf"))
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.heading(f"Audit record: request {req['id']}", size=16)
    pdf.para(f"{req['kind']} request for run {req['run_id'] or '-'} (pipeline {req['pipeline'] or 'not named'}), "
             f"opened by {req['initiator']} {req['opened']}; status {req['status']}.")
    pdf.mono(f"subject digest  {req['digest']}\npolicy digest   {ev.policy['request']}\n"
             f"current policy  {ev.policy['current']}")
    pdf.para(badge.summary)
    if ev.residency:
        view = ev.residency
        pdf.heading("What the residency exception would allow")
        pdf.rows([{"question": q, "answer": a} for q, a in [
            ("which data", f"{view['data']['source']} ({view['data']['classification']}); records: "
                           f"{view['data']['records'] if view['data']['records'] is not None else 'none read'}"),
            ("sent to", f"the {view['component']} at {view['where']['location']}"),
            ("region", view["where"]["region"]), ("why refused", view["where"]["why_refused"]),
            ("asked for by", view["by"]), ("run", view["run"] or "-"), ("fingerprint", view["fingerprint"])]])
    if ev.summary:
        pdf.heading("Summary")
        pdf.para(ev.summary.text)
        pdf.heading("What a reviewer should check", size=11)
        for check in ev.summary.checks:
            pdf.para(f"- {check}")
        pdf.heading("Where each figure comes from", size=11)
        pdf.rows(ev.summary.facts)
    if ev.card:
        pdf.heading("Model card")
        pdf.rows([{"field": k, "value": v} for k, v in [
            ("teacher", ev.card["teacher"]), ("licence", ev.card["licence"]), ("task", ev.card["task"]),
            ("data source", ev.run.get("source")), ("classification", ev.run.get("classification")),
            ("intended use", ev.card["intended_use"]), ("limitations", "; ".join(ev.card["limitations"])),
            ("card sha256", ev.card["digest"])]])
    if ev.previous:
        pdf.heading(f"What changed since {ev.previous}")
        pdf.rows(ev.changes)
    for title, rows in [("Release history", ev.history), ("Gates", ev.gates), ("Metrics", ev.metrics),
                        ("Size and latency", ev.targets)]:
        if rows:
            pdf.heading(title)
            pdf.rows(rows)
    for name, rows in ev.slices.items():
        pdf.heading(f"Accuracy by {name} (largest drop first; gated: {ev.min_slice_size}+ examples)")
        pdf.image(_slice_chart(name, rows), w=min(260, pdf.epw))
        pdf.rows(rows)
    if ev.scrub:
        pdf.heading("Scrub")
        pdf.para(f"{ev.scrub['records']} records scrubbed; {len(ev.scrub['residual'])} residual finding(s).")
        for title, key in [("Replaced entities", "entities"), ("Coverage", "coverage"), ("Residual findings", "residual")]:
            if ev.scrub[key]:
                pdf.heading(title, size=11)
                pdf.rows(ev.scrub[key])
    for title, rows in [("Curation", ev.funnel or []), ("Blocked egress", ev.egress), ("Plugins", ev.plugins),
                        ("Decisions (signed by each reviewer's own key)", ev.decisions),
                        ("Ledger proofs", badge.proofs)]:
        pdf.heading(title)
        if rows:
            pdf.rows(rows)
        else:
            pdf.para("none")
    if ev.approval["changes_requested"]:
        pdf.heading("Changes requested")
        pdf.rows(ev.approval["changes_requested"])
    pdf.heading("Subject (what the signatures cover)")
    pdf.mono(json.dumps(ev.subject, indent=1, sort_keys=True))
    return bytes(pdf.output())


class _Pdf(FPDF):
    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("DejaVu", size=7)
        self.cell(0, 5, f"Stillroom audit record, page {self.page_no()}/{{nb}}", align="C")

    def heading(self, text: str, size: int = 13) -> None:
        self.set_font("DejaVu", "B", size)
        self.ln(2)
        self.multi_cell(0, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def para(self, text: str) -> None:
        self.set_font("DejaVu", size=9)
        self.multi_cell(0, 5, str(text), new_x="LMARGIN", new_y="NEXT")

    def mono(self, text: str) -> None:
        self.set_font("DejaVuMono", size=7)
        self.multi_cell(0, 3.5, text, new_x="LMARGIN", new_y="NEXT")

    def rows(self, rows: list[dict[str, Any]]) -> None:
        """Every row and column, cells wrapped (never clipped); long digests break where they must."""
        columns = list(dict.fromkeys(key for row in rows for key in row))
        self.set_font("DejaVu", size=7)
        with self.table(headings_style=FontFace(emphasis="BOLD"), line_height=3.6, text_align="LEFT",
                        wrapmode="CHAR") as table:
            table.row([str(c) for c in columns])
            for row in rows:
                table.row([_cell(row.get(c)) for c in columns])
        self.ln(2)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _slice_chart(name: str, rows: list[dict[str, Any]]) -> io.BytesIO:
    """Student and teacher accuracy per slice value as a PNG, in the table's order, with each count."""
    labels = [f"{r['slice']} (n={r['n']})" for r in rows]
    figure, axes = plt.subplots(figsize=(10, 0.32 * len(rows) + 0.9), dpi=110)
    places = range(len(rows))
    for offset, (model, colour) in zip((-0.2, 0.2), theme.MODELS.items()):
        measured = [(i, r[model]) for i, r in zip(places, rows) if r[model] is not None]
        axes.barh([i + offset for i, _ in measured], [v for _, v in measured], height=0.38, color=colour, label=model)
    axes.set_yticks(list(places), labels, fontsize=7)
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.set_xlabel(f"accuracy by {name}")
    axes.legend(loc="lower right", fontsize=7)
    figure.tight_layout()
    image = io.BytesIO()
    figure.savefig(image, format="png")
    plt.close(figure)
    image.seek(0)
    return image
