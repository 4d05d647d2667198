"""The plugin manager: built-ins, governance before import, broken-plugin isolation.

Third-party plugins here are real distributions: a ``.dist-info`` directory and
a module written to a temporary directory on ``sys.path``, found by
``importlib.metadata`` exactly as an installed wheel would be.
"""

from __future__ import annotations

import base64
import hashlib
import sys
import textwrap
from pathlib import Path

import pytest

from stillroom import hookimpl
from stillroom.components import Source
from stillroom.errors import PluginError
from stillroom.plugin_manager import DEFAULT_PLUGINS, PluginManager, load_plugins, record_digest
from stillroom.policy import AllowedPlugin
from tests.people import adopt_policy

PLUGIN_BODY = """
import os
from pathlib import Path
from stillroom import hookimpl
from stillroom.components import Source

Path(os.environ["MARKER"]).write_text("imported")

class VendorSource(Source):
    name = "vendor"
    def location(self): return "file:///vendor"
    def read(self, batch_size=1000): yield [{"text": "hello"}]
    def fingerprint(self): return "0" * 64

@hookimpl
def register_sources(register):
    register(VendorSource)
"""


def make_distribution(root: Path, module: str, body: str, *, name: str = "vendor-plugin", version: str = "1.2.0",
                      entry_point: str | None = None):
    """Write an installed distribution (module + dist-info with RECORD) under ``root``; its entry point is named
    ``entry_point`` (default: the module's name)."""
    root.mkdir(parents=True, exist_ok=True)
    source = textwrap.dedent(body).encode()
    (root / f"{module}.py").write_bytes(source)
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[stillroom]\n{entry_point or module} = {module}\n")
    digest = base64.urlsafe_b64encode(hashlib.sha256(source).digest()).rstrip(b"=").decode()
    (info / "RECORD").write_text(f"{module}.py,sha256={digest},{len(source)}\n{info.name}/RECORD,,\n")
    return root / f"{module}.py"


@pytest.fixture
def vendor(tmp_path, monkeypatch):
    """A vendor plugin installed on sys.path, with an import side effect we can observe."""
    marker = tmp_path / "marker"
    monkeypatch.setenv("MARKER", str(marker))
    site = tmp_path / "site"
    module_path = make_distribution(site, "vendor_plugin", PLUGIN_BODY)
    monkeypatch.syspath_prepend(str(site))
    yield marker, module_path
    sys.modules.pop("vendor_plugin", None)


def entry(manager: PluginManager, name: str):
    return next(i for i in manager.plugins() if i.name == name)


def test_builtins_load_and_register_sources():
    manager = load_plugins()
    assert {"jsonl", "csv"} <= set(manager.names("source"))
    assert all(entry(manager, m).status == "loaded" for m in DEFAULT_PLUGINS)
    assert "register_sources" in entry(manager, "stillroom.plugins.sources.jsonl").hooks


def test_plugin_not_in_allowlist_is_never_imported(vendor):
    marker, _ = vendor
    manager = load_plugins(allow=[])
    info = entry(manager, "vendor_plugin")
    assert info.status == "refused"
    assert "not in the policy's plugins allowlist" in info.reason
    assert not marker.exists()
    assert "vendor_plugin" not in sys.modules
    assert "vendor" not in manager.names("source")


def test_allowed_plugin_loads_and_its_component_works(vendor):
    marker, _ = vendor
    manager = load_plugins(allow=[AllowedPlugin(name="Vendor_Plugin", version=">=1.0,<2")])
    info = entry(manager, "vendor_plugin")
    assert info.status == "loaded" and info.version == "1.2.0" and info.record_sha256
    assert marker.read_text() == "imported"
    source_cls = manager.component("source", "vendor")
    assert issubclass(source_cls, Source)
    assert {"name": "vendor_plugin", "version": "1.2.0"}.items() <= manager.provenance()[-1].items()


def test_version_outside_the_allowed_range_is_refused(vendor):
    marker, _ = vendor
    manager = load_plugins(allow=[AllowedPlugin(name="vendor-plugin", version="<1.0")])
    assert "does not satisfy the allowed versions '<1.0'" in entry(manager, "vendor_plugin").reason
    assert not marker.exists()


def test_record_pin_mismatch_is_refused(vendor):
    marker, _ = vendor
    manager = load_plugins(allow=[AllowedPlugin(name="vendor-plugin", sha256="0" * 64)])
    assert "RECORD digest is" in entry(manager, "vendor_plugin").reason
    assert not marker.exists()


def test_record_pin_match_loads_but_a_modified_file_is_refused(vendor):
    from importlib import metadata

    marker, module_path = vendor
    pin = record_digest(metadata.distribution("vendor-plugin"))
    manager = load_plugins(allow=[AllowedPlugin(name="vendor-plugin", sha256=pin)])
    assert entry(manager, "vendor_plugin").status == "loaded"
    marker.unlink()
    sys.modules.pop("vendor_plugin", None)
    module_path.write_text(module_path.read_text() + "\nBACKDOOR = True\n")
    manager = load_plugins(allow=[AllowedPlugin(name="vendor-plugin", sha256=pin)])
    info = entry(manager, "vendor_plugin")
    assert info.status == "refused" and "no longer matches its RECORD hash" in info.reason
    assert not marker.exists()


def test_broken_plugin_is_reported_by_name_and_skipped(tmp_path, monkeypatch):
    site = tmp_path / "site"
    make_distribution(site, "broken_plugin", "raise RuntimeError('vendor bug at import')\n", name="broken-plugin")
    monkeypatch.syspath_prepend(str(site))
    manager = load_plugins(allow=[AllowedPlugin(name="broken-plugin")])
    info = entry(manager, "broken_plugin")
    assert info.status == "broken" and "vendor bug at import" in info.reason
    assert {"jsonl", "csv"} <= set(manager.names("source"))


def test_broken_plugin_is_fatal_when_strict(tmp_path, monkeypatch):
    site = tmp_path / "site"
    make_distribution(site, "broken_plugin", "raise RuntimeError('vendor bug at import')\n", name="broken-plugin")
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(PluginError, match="broken_plugin.*vendor bug at import"):
        load_plugins(allow=[AllowedPlugin(name="broken-plugin")], strict=True)


def test_misspelled_hook_is_reported_not_silently_ignored(tmp_path, monkeypatch):
    site = tmp_path / "site"
    body = "from stillroom import hookimpl\n@hookimpl\ndef register_source(register):\n    pass\n"
    make_distribution(site, "typo_plugin", body, name="typo-plugin")
    monkeypatch.syspath_prepend(str(site))
    manager = load_plugins(allow=[AllowedPlugin(name="typo-plugin")])
    info = entry(manager, "typo_plugin")
    assert info.status == "broken" and "register_source" in info.reason
    assert manager.pm.get_plugin("typo_plugin") is None


def test_plugin_whose_register_hook_raises_is_isolated(tmp_path, monkeypatch):
    site = tmp_path / "site"
    body = "from stillroom import hookimpl\n@hookimpl\ndef register_sources(register):\n    raise ValueError('bad registry')\n"
    make_distribution(site, "raising_plugin", body, name="raising-plugin")
    monkeypatch.syspath_prepend(str(site))
    manager = load_plugins(allow=[AllowedPlugin(name="raising-plugin")])
    info = entry(manager, "raising_plugin")
    assert info.status == "broken" and "bad registry" in info.reason
    assert "jsonl" in manager.names("source")


def test_a_third_party_name_clash_with_a_builtin_marks_the_plugin_broken(tmp_path, monkeypatch):
    site = tmp_path / "site"
    body = PLUGIN_BODY.replace('name = "vendor"', 'name = "jsonl"').replace("Path(os.environ", "# Path(os.environ")
    make_distribution(site, "clash_plugin", body, name="clash-plugin")
    monkeypatch.syspath_prepend(str(site))
    manager = load_plugins(allow=[AllowedPlugin(name="clash-plugin")])
    info = entry(manager, "clash_plugin")
    assert info.status == "broken"
    assert "registered by both 'stillroom.plugins.sources.jsonl' and 'clash_plugin'" in info.reason
    assert manager.catalog["source"]["jsonl"].plugin == "stillroom.plugins.sources.jsonl"


def test_registering_a_non_component_is_an_error():
    class NotASource:
        name = "nope"

    class Bad:
        @hookimpl
        def register_sources(self, register):
            register(NotASource)

    manager = PluginManager(strict=True)
    manager.pm.register(Bad(), name="bad")
    from stillroom.plugin_manager import PluginInfo

    manager.infos["bad"] = PluginInfo("bad", "test", "tests", "loaded")
    with pytest.raises(PluginError, match="is not a Source"):
        manager.load(entry_points=[])


def test_unknown_component_lists_the_known_ones():
    manager = load_plugins()
    with pytest.raises(PluginError, match=r"no source named 'xml' is registered \(known: .*jsonl"):
        manager.component("source", "xml")


def test_tracing_writes_hook_calls_to_stderr(monkeypatch, capsys):
    monkeypatch.setenv("STILLROOM_TRACE_PLUGINS", "1")
    manager = load_plugins()
    manager.on_run_end({"run_id": "r"}, "succeeded")
    assert "on_run_end" in capsys.readouterr().err


def pinned(dist_name="vendor-plugin"):
    from importlib import metadata

    return [AllowedPlugin(name=dist_name, sha256=record_digest(metadata.distribution(dist_name)))]


def test_pinned_plugin_with_an_unlisted_module_beside_it_is_refused(tmp_path, monkeypatch):
    marker = tmp_path / "marker"
    monkeypatch.setenv("MARKER", str(marker))
    site = tmp_path / "site"
    package = site / "vendor_pkg"
    package.mkdir(parents=True)
    make_distribution(site, "vendor_pkg/__init__", PLUGIN_BODY)
    record = next(site.glob("*.dist-info")) / "RECORD"
    record.write_text(record.read_text().replace("vendor_pkg/__init__.py", "vendor_pkg/__init__.py"))
    (next(site.glob("*.dist-info")) / "entry_points.txt").write_text("[stillroom]\nvendor_pkg = vendor_pkg\n")
    monkeypatch.syspath_prepend(str(site))
    allow = pinned()
    (package / "hooks.py").write_text("import os\nopen(os.environ['MARKER'], 'w').write('hooks')\n")
    manager = load_plugins(allow=allow)
    info = entry(manager, "vendor_pkg")
    assert info.status == "refused" and "vendor_pkg/hooks.py (not in RECORD)" in info.reason
    assert not marker.exists()
    sys.modules.pop("vendor_pkg", None)


def test_pinned_plugin_ignores_tampered_bytecode(vendor, tmp_path):
    """A .pyc swapped in beside the verified source (same header) must not be what runs."""
    import importlib.util
    import py_compile

    marker, module_path = vendor
    allow = pinned()
    cache = importlib.util.cache_from_source(str(module_path))
    py_compile.compile(str(module_path), cfile=cache)
    evil = tmp_path / "evil.py"
    evil.write_text(PLUGIN_BODY.replace('write_text("imported")', 'write_text("EVIL BYTECODE")'))
    evil_pyc = tmp_path / "evil.pyc"
    py_compile.compile(str(evil), cfile=str(evil_pyc))
    header = open(cache, "rb").read()[:16]
    with open(cache, "wb") as f:
        f.write(header + evil_pyc.read_bytes()[16:])
    manager = load_plugins(allow=allow)
    assert entry(manager, "vendor_plugin").status == "loaded"
    assert marker.read_text() == "imported"


def test_pinned_plugin_shadowed_earlier_on_sys_path_is_not_imported(vendor, tmp_path, monkeypatch):
    marker, module_path = vendor
    allow = pinned()
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "vendor_plugin.py").write_text("import os\nopen(os.environ['MARKER'], 'w').write('shadow')\n")
    monkeypatch.syspath_prepend(str(shadow))
    manager = load_plugins(allow=allow)
    info = entry(manager, "vendor_plugin")
    assert info.status == "broken" and "not a verified file" in info.reason
    assert not marker.exists()


# -- .pth files of refused distributions, name collisions, the egress guard at import -----------------


def run_cli(site: Path, *args: str, env: dict | None = None):
    """The real CLI in a fresh interpreter whose site directories include ``site`` (its .pth files run)."""
    import os
    import subprocess

    code = ("import site, sys\n"
            f"site.addsitedir({str(site)!r})\n"
            f"sys.argv = ['stillroom', *{list(args)!r}]\n"
            "from stillroom.cli import main\nmain()\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def add_pth(site: Path, dist_name: str, text: str) -> Path:
    """Add a .pth file to an installed distribution, listed in its RECORD as pip would list it."""
    pth = site / f"{dist_name.replace('-', '_')}-init.pth"
    pth.write_text(text)
    record = next(site.glob(f"{dist_name.replace('-', '_')}-*.dist-info")) / "RECORD"
    digest = base64.urlsafe_b64encode(hashlib.sha256(pth.read_bytes()).digest()).rstrip(b"=").decode()
    record.write_text(record.read_text() + f"{pth.name},sha256={digest},{len(pth.read_bytes())}\n")
    return pth


@pytest.fixture
def refused_with_pth(tmp_path, workspace):
    site = tmp_path / "site"
    make_distribution(site, "sneaky_plugin", PLUGIN_BODY, name="sneaky-plugin")
    marker = tmp_path / "pth-ran"
    pth = add_pth(site, "sneaky-plugin", f"import pathlib; pathlib.Path({str(marker)!r}).write_text('ran')\n")
    return site, pth, marker


def test_plugins_list_warns_that_a_refused_distributions_pth_file_runs(refused_with_pth, workspace, tmp_path):
    import json

    site, pth, marker = refused_with_pth
    result = run_cli(site, "plugins", "list", "--json", "--workspace", str(workspace.root),
                     env={"MARKER": str(tmp_path / "imported")})
    assert result.returncode == 0, result.stderr
    assert marker.read_text() == "ran"  # the .pth ran at interpreter start, as it would for any command
    assert not (tmp_path / "imported").exists()  # the plugin's module never did
    listing = json.loads(result.stdout)
    assert [(r["name"], r["status"]) for r in listing["plugins"] if r["name"] == "sneaky_plugin"] == [
        ("sneaky_plugin", "refused")]
    assert [(f["distribution"], f["path"]) for f in listing["pth_files"]] == [("sneaky-plugin", str(pth.resolve()))]
    assert (f"warning: distribution 'sneaky-plugin' is refused by the plugins policy, but its {pth.resolve()} runs "
            "at every Python start (strict plugins refuse to run beside it)") in result.stderr


def test_strict_plugins_refuse_to_run_beside_a_refused_distributions_pth_file(refused_with_pth, workspace):
    site, pth, _ = refused_with_pth
    result = run_cli(site, "--strict-plugins", "plugins", "list", "--workspace", str(workspace.root))
    assert result.returncode == 1
    assert result.stderr.strip() == (f"error: distribution 'sneaky-plugin' is refused by the plugins policy, but "
                                     f"its {pth.name} runs at every Python start; uninstall it to run with strict "
                                     "plugins")
    assert result.stdout == ""


def test_the_policy_switch_makes_plugins_strict_too(refused_with_pth, workspace):
    site, pth, _ = refused_with_pth
    policy = workspace.root / "policies" / "plugins.yaml"
    policy.write_text("plugins:\n  allow: []\n  strict: true\n")
    adopt_policy(workspace)
    result = run_cli(site, "plugins", "list", "--workspace", str(workspace.root))
    assert result.returncode == 1 and f"its {pth.name} runs at every Python start" in result.stderr


def test_a_governed_worker_holds_to_the_policys_strict_plugins_as_the_coordinator_does(refused_with_pth, workspace):
    """What a Ray worker and a torchrun rank run first (``worker.govern``) reads the run's policy, strict included."""
    import json
    import os
    import subprocess

    site, pth, _ = refused_with_pth
    policy = workspace.policy().model_dump(mode="json")
    for strict in (False, True):
        given = json.dumps({"policy": {**policy, "plugins": {**policy["plugins"], "strict": strict}},
                            "workspace": str(workspace.root)})
        code = (f"import json, site\nsite.addsitedir({str(site)!r})\n"
                f"from stillroom.run.executors.worker import govern\ngovern(json.loads({given!r}))\n")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ,
                                timeout=120)
        assert (result.returncode == 0) is not strict, result.stderr[-2000:]
        assert (f"its {pth.name} runs at every Python start" in result.stderr) is strict


def test_a_refused_distributions_pth_file_is_in_the_provenance(tmp_path, monkeypatch):
    site = tmp_path / "site"
    make_distribution(site, "sneaky_plugin", PLUGIN_BODY, name="sneaky-plugin")
    pth = add_pth(site, "sneaky-plugin", "\n")
    monkeypatch.syspath_prepend(str(site))
    manager = load_plugins()
    assert {"name": pth.name, "origin": "pth", "distribution": "sneaky-plugin",
            "module": str(pth.resolve())}.items() <= manager.provenance()[-1].items()


def test_an_entry_point_named_like_a_builtin_is_refused_and_the_builtin_stays(tmp_path, monkeypatch):
    site = tmp_path / "site"
    marker = tmp_path / "marker"
    monkeypatch.setenv("MARKER", str(marker))
    make_distribution(site, "impostor", PLUGIN_BODY, name="impostor")
    info = next(site.glob("impostor-*.dist-info"))
    (info / "entry_points.txt").write_text("[stillroom]\nstillroom.plugins.sources.jsonl = impostor\n")
    monkeypatch.syspath_prepend(str(site))
    manager = load_plugins(allow=[AllowedPlugin(name="impostor")])
    rows = [(i.name, i.origin, i.status, i.reason) for i in manager.plugins()
            if i.name == "stillroom.plugins.sources.jsonl"]
    assert rows == [
        ("stillroom.plugins.sources.jsonl", "builtin", "loaded", None),
        ("stillroom.plugins.sources.jsonl", "entry-point", "refused",
         "entry point name 'stillroom.plugins.sources.jsonl' is the name of a built-in plugin"),
    ]
    assert ("stillroom.plugins.sources.jsonl", "builtin") in {(p["name"], p["origin"]) for p in manager.provenance()}
    assert not marker.exists() and "jsonl" in manager.names("source")


def test_two_entry_points_with_one_name_are_both_refused_and_neither_imported(tmp_path, monkeypatch):
    marker = tmp_path / "marker"
    monkeypatch.setenv("MARKER", str(marker))
    for dist in ("vendor-a", "vendor-b"):
        site = tmp_path / dist
        make_distribution(site, dist.replace("-", "_"), PLUGIN_BODY, name=dist)
        info = next(site.glob("*.dist-info"))
        (info / "entry_points.txt").write_text(f"[stillroom]\nvendor = {dist.replace('-', '_')}\n")
        monkeypatch.syspath_prepend(str(site))
    manager = load_plugins(allow=[AllowedPlugin(name="vendor-a"), AllowedPlugin(name="vendor-b")])
    rows = [(i.distribution, i.status, i.reason) for i in manager.plugins() if i.name == "vendor"]
    reason = "entry point name 'vendor' is used by vendor-a and vendor-b; names must be unique"
    assert sorted(rows) == [("vendor-a", "refused", reason), ("vendor-b", "refused", reason)]
    assert not marker.exists() and "vendor" not in manager.names("source")


CONNECTS_AT_IMPORT = """
import os, socket
from stillroom import hookimpl
try:
    socket.create_connection(("127.0.0.1", int(os.environ["PHONE_HOME_PORT"])), timeout=2).close()
    open(os.environ["MARKER"], "w").write("connected")
except PermissionError as exc:
    open(os.environ["MARKER"], "w").write("refused: " + str(exc))
@hookimpl
def register_sources(register):
    pass
"""


def run_allowed_plugin(tmp_path, workspace, module, body, *args, allow_listener: bool = False):
    """The CLI with ``module`` (distribution ``module`` with dashes) allowed and egress only to 127.0.0.1:1
    (or, ``allow_listener``, to the listener itself); the plugin phones a listener that must hear nothing.
    (result, marker file, the listener's port)."""
    import socket

    site, name = tmp_path / "site", module.replace("_", "-")
    make_distribution(site, module, body, name=name, entry_point=name)  # the ledger names the module, not this
    marker = tmp_path / "marker"
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(0.3)
        port = listener.getsockname()[1]
        (workspace.root / "policies" / "plugins.yaml").write_text(f"plugins:\n  allow: [{{name: {name}}}]\n")
        (workspace.root / "policies" / "egress.yaml").write_text(
            f"egress:\n  allow: [{{host: 127.0.0.1, port: {port if allow_listener else 1}}}]\n")
        adopt_policy(workspace)
        result = run_cli(site, *args, "--workspace", str(workspace.root),
                         env={"MARKER": str(marker), "PHONE_HOME_PORT": str(port)})
        with pytest.raises(TimeoutError):
            listener.accept()
    return result, marker, port


@pytest.mark.parametrize("allow_listener", [False, True], ids=["listener-not-allowed", "listener-allowed"])
def test_an_allowed_plugins_import_time_code_meets_the_guard_even_in_ledger_verify(tmp_path, workspace, allow_listener):
    """Importing is not a stage of any run: nothing may leave then, even to a host ``egress.yaml`` allows a run."""
    result, marker, _ = run_allowed_plugin(tmp_path, workspace, "chatty_plugin", CONNECTS_AT_IMPORT,
                                           "ledger", "verify", allow_listener=allow_listener)
    # nothing may leave during an import, loopback included: the look-up of the address is refused first
    assert marker.read_text() == "refused: egress blocked: 127.0.0.1 (socket.getaddrinfo) is not in the egress allowlist"
    blocked = workspace.ledger().entries(kind="egress.blocked")
    assert [(e.payload["target"], e.payload["event"], e.payload["stage"], e.payload["plugin"]) for e in blocked] == [
        ("127.0.0.1", "socket.getaddrinfo", "plugin-import", "chatty_plugin")]
    assert result.returncode == 0, result.stderr


SPAWNS_AT_IMPORT = """
import multiprocessing, os, socket
from stillroom import hookimpl

def phone_home(port):
    socket.create_connection(("127.0.0.1", port), timeout=2).close()

if multiprocessing.current_process().name == "MainProcess":
    child = multiprocessing.get_context("spawn").Process(target=phone_home, args=(int(os.environ["PHONE_HOME_PORT"]),))
    child.start()
    child.join(60)
    open(os.environ["MARKER"], "w").write(f"{child.pid} exit {child.exitcode}")

@hookimpl
def register_sources(register):
    pass
"""


def test_a_spawn_child_started_by_a_plugin_is_guarded_and_ledgered_by_the_cli(tmp_path, workspace):
    result, marker, port = run_allowed_plugin(tmp_path, workspace, "spawning_plugin", SPAWNS_AT_IMPORT,
                                              "plugins", "list", "--json")
    assert result.returncode == 0, result.stderr
    pid, _, code = marker.read_text().split()
    assert code == "1"  # the child died of the refusal
    # nothing may leave during an import, loopback included: the look-up of the address is refused first
    assert f"stillroom: egress blocked in child process {pid}: 127.0.0.1 (socket.getaddrinfo)" in result.stderr
    blocked = workspace.ledger().entries(kind="egress.blocked")
    assert [(e.payload["target"], e.payload["pid"], e.payload["stage"], e.payload["plugin"]) for e in blocked] == [
        ("127.0.0.1", int(pid), "plugin-import", "spawning_plugin")]


def test_strict_plugins_asked_for_here_are_strict_in_the_executors_workers_too(workspace):
    """``--strict-plugins`` makes the coordinator strict; the executor's workers load plugins by the policy they are
    given (``worker.govern``), so that policy must say strict too."""
    from stillroom import hookimpl
    from stillroom.run.executors.local import LocalExecutor

    given = []

    class Captures:
        @hookimpl
        def make_executor(self, name, policy, workspace):
            given.append(policy.plugins.strict)
            return LocalExecutor()

    policy = workspace.policy()
    assert policy.plugins.strict is False
    for strict in (False, True):
        manager = load_plugins(strict=strict)
        manager.pm.register(Captures())
        manager.executor("local", policy=policy, workspace=workspace.root)
    assert given == [False, True] and policy.plugins.strict is False  # the workspace's own policy is not changed
