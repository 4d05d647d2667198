"""The ledger benchmark runs end to end and prints one JSON object with every figure it promises."""

import json
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "ledger.py"


def test_the_benchmark_prints_one_json_object_with_each_measure_and_its_baseline():
    done = subprocess.run([sys.executable, str(BENCHMARK), "--sizes", "300", "--appends", "1000"],
                          capture_output=True, text=True, timeout=300, check=False, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    sqlite = result["sqlite"]
    assert sqlite["appends_per_s"]["batched"] > 0 and sqlite["appends_per_s"]["one_commit_per_entry"] > 0
    floor = sqlite["appends_per_s"]["disk_floor"]
    assert floor["write_fsync_per_s"] > 0 and floor["raw_sqlite_commits_per_s"] > 0
    assert sqlite["appends_per_s"]["one_commit_per_entry_vs_raw_sqlite_commits"] > 0
    assert sqlite["verify"]["entries"] == 1 + 1000 + 100
    proof = sqlite["inclusion_proof"]["300"]
    assert proof["median_ms"] > 0 and proof["baseline_rebuild_from_all_leaves_ms"] > 0
    assert "skipped" in result["postgresql"]
    assert set(result["meets_targets"]) == {"sqlite_batched_appends_per_s", "sqlite_per_entry_appends_per_s",
                                            "disk_floor_allows_sqlite_per_entry_target", "verify_entries_per_s"}
