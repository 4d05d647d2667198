"""The paired significance tests the benchmark and report use to compare distillation arms."""

import numpy as np
import pytest

from stillroom.plugins.evaluators.metrics import mcnemar_exact, paired_bootstrap


def test_a_clear_paired_gain_is_significant_and_no_difference_is_not():
    rng = np.random.default_rng(0)
    base = rng.random(1000) < 0.8
    better = base.copy()
    better[np.flatnonzero(~base)[:60]] = True  # 60 items fixed, none broken
    gain = paired_bootstrap(better, base, resamples=2000)
    assert gain["difference"] == pytest.approx(0.06) and gain["p_value"] < 0.01
    assert gain["ci95"][0] > 0
    same = paired_bootstrap(base, base, resamples=2000)
    assert same["difference"] == 0 and same["p_value"] == 1.0
    assert mcnemar_exact(better, base)["p_value"] < 1e-10
    assert mcnemar_exact(base, base) == {"only_a": 0, "only_b": 0, "p_value": 1.0}


def test_swapped_items_that_cancel_out_are_not_significant():
    a = np.array([1, 0] * 50 + [1] * 100)
    b = np.array([0, 1] * 50 + [1] * 100)
    assert paired_bootstrap(a, b, resamples=2000)["p_value"] > 0.5
    assert mcnemar_exact(a, b)["p_value"] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        paired_bootstrap(a, b[:-1])
