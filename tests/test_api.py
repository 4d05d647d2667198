"""``stillroom.api``: the example on docs/api.md runs as written, and the surface is typed and documented."""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import io
import re
from pathlib import Path

import pytest
import rfc8785
from tinypipeline import PASS, add_people, write_pipeline

from stillroom import api
from stillroom.approvals import ApprovalRefused
from stillroom.errors import RunRefused
from stillroom.workspace import init_workspace

DOCS = Path(__file__).resolve().parent.parent / "docs"


def python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """The docs/api.md example, executed in the directory it describes: bank-ws, pipeline.yaml, three people."""
    root = tmp_path_factory.mktemp("api")
    ws = init_workspace(root / "bank-ws", name="bank-ws")
    add_people(ws)
    (root / "pipeline.yaml").write_text(write_pipeline(root / "inputs").read_text())
    example = python_blocks(DOCS / "api.md")[0]
    namespace: dict = {}
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(printed):
        mp.chdir(root)
        for name in ("OLGA", "SAM", "LEE"):
            mp.setenv(f"{name}_PASSPHRASE", PASS)
        exec(compile(example, "docs/api.md", "exec"), namespace)
    return root, namespace, printed.getvalue()


def test_the_docs_example_runs_decides_releases_and_verifies(session):
    root, ns, printed = session
    assert ns["state"].status == "approved"
    assert (root / "bundle" / "manifest.json").is_file()
    assert ns["report"]["request_id"] == ns["request_id"] and ns["report"]["checks"]
    assert f"run {ns['run'].run_id} opened {ns['request_id']}" in printed
    assert "request is approved" in printed and f"bundle for {ns['request_id']} verifies" in printed
    released = api.get_request(api.open_workspace(root / "bank-ws"), ns["request_id"])
    assert released.status == "released"


def test_the_api_enforces_the_same_rules_as_the_cli(session):
    root, ns, _ = session
    ws, olga = ns["ws"], ns["olga"]
    with pytest.raises(ApprovalRefused, match=f"request {ns['request_id']} is released; only pending requests"):
        api.decide(ws, ns["request_id"], olga, approve=True)
    sam = api.sign_in(ws, "sam", PASS)
    with pytest.raises(RunRefused, match="sam cannot start a run: it needs the operator role"):
        api.run(ws, api.load_spec(root / "pipeline.yaml"), as_user=sam)
    with pytest.raises(RunRefused, match="no trusted node key"):
        api.verify_release(root / "bundle")


def test_the_ledger_page_recomputes_the_spec_digest_of_the_run(session, tmp_path):
    root, ns, _ = session
    export = tmp_path / "export"
    ns["ws"].ledger().export(export)
    recipe = python_blocks(DOCS / "ledger.md")[0].replace("DIR/", f"{export}/")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(recipe, "docs/ledger.md", "exec"), {})
    spec = ns["run"].info["spec_digest"]
    assert f"{ns['run'].run_id} {spec}" in printed.getvalue()
    # and it is the digest every stage and the request were bound to
    assert ns["run"].summaries["preflight"]["spec_digest"] == spec
    dumped = api.load_spec(root / "pipeline.yaml").model_dump(mode="json")
    assert hashlib.sha256(rfc8785.dumps(dumped)).hexdigest() == spec


@pytest.mark.parametrize("name", api.__all__)
def test_every_api_function_is_typed_and_documented(name):
    function = getattr(api, name)
    signature = inspect.signature(function)
    assert function.__doc__ and len(function.__doc__.split()) >= 8, f"{name} needs a docstring that says why"
    assert signature.return_annotation is not inspect.Signature.empty, f"{name} has no return type"
    untyped = [p.name for p in signature.parameters.values() if p.annotation is inspect.Parameter.empty]
    assert not untyped, f"{name}: untyped parameters {untyped}"


def test_every_api_function_is_in_the_docs_table():
    page = (DOCS / "api.md").read_text()
    assert [name for name in api.__all__ if f"`{name}(" not in page] == []

