"""tui.json_codec reads every body exactly as the json module does (constants as None),
and writes text that reads back the same."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui import json_codec


def reference(body: bytes | str) -> Any:
    return json.loads(body, parse_constant=lambda _name: None)


def same(left: Any, right: Any) -> bool:
    """Equal, with the types kept apart (1 is not 1.0 nor True) and NaN equal to itself."""
    if type(left) is not type(right):
        return False
    if isinstance(left, float):
        return left == right or (math.isnan(left) and math.isnan(right))
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    return bool(left == right)


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": 18446744073709551616}',  # past 64 bits: an int, not a float
        b'{"id": -9223372036854775809}',
        b'{"id": 9223372036854775807}',
        b"[1e400, -1e400]",  # past a float's range: json reads infinities
        b'{"a": NaN, "b": Infinity, "c": -Infinity}',
        b'"\\ud800 lone"',
        b'{"a": 1, "a": 2}',
        b'"\\u0000"',
        '{"name": "caf\u00e9"}'.encode("utf-16"),
        b'{"x": [1.5, -0, 0.1, 1e-324]}',
        '{"big": 123456789012345678901234567890}',
    ],
)
def test_bodies_the_two_decoders_read_apart_are_read_as_json_reads_them(
    body: bytes | str,
) -> None:
    assert same(json_codec.loads(body), reference(body))


def test_what_json_refuses_is_refused() -> None:
    for body in (b"", b"{", b"[1,]", b"\xff"):
        with pytest.raises(ValueError):
            json_codec.loads(body)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)


@given(json_values)
def test_any_json_reads_as_json_reads_it(value: Any) -> None:
    body = json.dumps(value)
    assert same(json_codec.loads(body.encode("utf-8", "surrogatepass")), reference(body))
    assert same(json_codec.loads(body), reference(body))


@given(json_values)
def test_dumps_reads_back_the_same(value: Any) -> None:
    assert same(json.loads(json_codec.dumps(value)), value)
