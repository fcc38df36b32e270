from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packyard.protocol.names import is_valid_project_name, normalize, wheel_name

valid_names = st.from_regex(r"\A[A-Za-z0-9]([A-Za-z0-9._-]{0,30}[A-Za-z0-9])?\Z", fullmatch=True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Django", "django"),
        ("Foo.Bar_baz", "foo-bar-baz"),  # PROTOCOL §5c item 4
        ("foo__bar--baz..qux", "foo-bar-baz-qux"),
        ("zope.interface", "zope-interface"),
        ("A-_.B", "a-b"),
    ],
)
def test_normalize_pep503_examples(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@given(st.text(alphabet="abcXYZ019-_.", min_size=1, max_size=40))
def test_normalize_is_idempotent(name: str) -> None:
    assert normalize(normalize(name)) == normalize(name)


@given(
    st.lists(st.text(alphabet="abcdefxyz0123", min_size=1, max_size=6), min_size=1, max_size=5),
    st.data(),
)
def test_separator_and_case_variants_normalize_equal(parts: list[str], data: st.DataObject) -> None:
    separators = st.text(alphabet="-_.", min_size=1, max_size=3)
    variant = parts[0]
    for part in parts[1:]:
        variant += data.draw(separators) + part
    variant = "".join(ch.upper() if data.draw(st.booleans()) else ch for ch in variant)
    assert normalize(variant) == normalize("-".join(parts))
    assert normalize(variant) == "-".join(parts).lower()


@pytest.mark.parametrize("name", ["a", "A1", "foo-bar", "foo.bar_baz", "x" * 100, "1password"])
def test_valid_project_names(name: str) -> None:
    assert is_valid_project_name(name)


@pytest.mark.parametrize(
    "name", ["", "-foo", "foo-", "foo.", "_foo", "foo bar", "fóo", "foo/bar", "foo\n"]
)
def test_invalid_project_names(name: str) -> None:
    assert not is_valid_project_name(name)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Foo.Bar-baz", "foo_bar_baz"), ("zope.interface", "zope_interface"), ("pip", "pip")],
)
def test_wheel_name(raw: str, expected: str) -> None:
    assert wheel_name(raw) == expected


@given(valid_names)
def test_wheel_name_has_no_separators_but_underscore(name: str) -> None:
    result = wheel_name(name)
    assert "-" not in result and "." not in result
    assert result == result.lower()
    assert normalize(result) == normalize(name)
