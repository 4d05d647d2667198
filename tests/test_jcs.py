"""Every digest of a JSON value is RFC 8785 (JCS), so an auditor recomputes it with any JCS tool.

Differential tests: ``canonical_json`` against ``jcs``, a port of the RFC
author's reference implementation, on the inputs where JCS and Python's own
``json.dumps`` part ways (floats, key order beyond U+FFFF, escapes), and the
digests the ledger carries recomputed from the JSON alone.
"""

import hashlib
import json
import math

import jcs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stillroom.artifacts import JCS_MAX_INT, canonical_json
from stillroom.config import parse_spec
from stillroom.errors import ArtifactError
from stillroom.labels import inputs_digest

# RFC 8785 Appendix B: IEEE 754 doubles and their JCS spelling.
APPENDIX_B = [
    (0.0, "0"), (-0.0, "0"), (5e-324, "5e-324"), (-5e-324, "-5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"), (-1.7976931348623157e308, "-1.7976931348623157e+308"),
    (9007199254740992.0, "9007199254740992"), (-9007199254740992.0, "-9007199254740992"),
    (295147905179352830000.0, "295147905179352830000"), (9.999999999999997e22, "9.999999999999997e+22"),
    (1e23, "1e+23"), (1.0000000000000001e23, "1.0000000000000001e+23"),
    (999999999999999700000.0, "999999999999999700000"), (999999999999999900000.0, "999999999999999900000"),
    (1e21, "1e+21"), (9.999999999999997e-7, "9.999999999999997e-7"), (0.000001, "0.000001"),
    (333333333.3333332, "333333333.3333332"), (333333333.33333325, "333333333.33333325"),
    (333333333.3333333, "333333333.3333333"), (333333333.3333334, "333333333.3333334"),
    (333333333.33333343, "333333333.33333343"), (-0.0000033333333333333333, "-0.0000033333333333333333"),
    (1424953923781206.2, "1424953923781206.2"),
]


@pytest.mark.parametrize(("number", "spelling"), APPENDIX_B)
def test_floats_are_spelled_as_rfc_8785_appendix_b(number, spelling):
    assert canonical_json(number) == spelling.encode()
    assert canonical_json(number) == jcs.canonicalize(number)


def test_keys_sort_by_utf16_code_units_as_rfc_8785_section_3_2_3():
    # The RFC's own example: U+1F600 (a surrogate pair, D83D DE00) sorts before U+FB33,
    # although its code point is larger: a code-point sort (Python's sort_keys) gets this wrong.
    keys = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
            "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}
    expected = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    assert list(json.loads(canonical_json(keys))) == expected
    assert canonical_json(keys) == jcs.canonicalize(keys)
    assert canonical_json(keys) != json.dumps(keys, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_rfc_8785_section_3_2_2_example():
    value = {"numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
             "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"\u002f", "literals": [None, True, False]}
    expected = ('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
                '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}')
    assert canonical_json(value) == expected.encode()


json_scalars = (st.none() | st.booleans() | st.integers(-JCS_MAX_INT, JCS_MAX_INT)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text())
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(), inner, max_size=4), max_leaves=20)


@given(json_values)
def test_canonical_json_matches_the_reference_implementation(value):
    assert canonical_json(value) == jcs.canonicalize(value)


@given(st.dictionaries(st.text(alphabet=st.characters(codec="utf-8")), st.integers(0, 9), max_size=8))
def test_unicode_keys_order_matches_the_reference_implementation(value):
    assert canonical_json(value) == jcs.canonicalize(value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 2**53, -(2**53), {"when": object()}, {1: "a"}])
def test_values_outside_json_are_refused_with_a_sentence(value):
    with pytest.raises(ArtifactError, match="canonical JSON"):
        canonical_json(value)


def test_default_turns_unrepresentable_values_into_representable_ones():
    assert canonical_json({"id": 2**60, "score": math.nan, "n": 3}, default=str) == \
        b'{"id":"1152921504606846976","n":3,"score":"nan"}'


def test_spec_digest_is_recomputed_from_the_spec_json_with_a_jcs_tool():
    spec = parse_spec({"name": "jcs", "source": {"type": "jsonl", "options": {"path": "x.jsonl"}},
                       "teacher": {"type": "hf", "options": {"path": "m", "temperature": 2.0, "threshold": 1e-7}},
                       "student": {"layers": 2}})
    dumped = spec.model_dump(mode="json")
    assert spec.digest == hashlib.sha256(jcs.canonicalize(dumped)).hexdigest()


def test_label_cache_key_input_digest_is_jcs_of_the_texts():
    texts = ["card arrived? \U0001f600", "caf\u00e9 \u2028 refund", "1e-7"]
    assert inputs_digest(texts) == hashlib.sha256(jcs.canonicalize(texts)).hexdigest()
