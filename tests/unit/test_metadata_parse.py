"""Core metadata parsing: packaging's validation plus the index's rules (RELIABILITY §5 A 17)."""

from __future__ import annotations

import pytest
from packyard.protocol.metadata import MetadataError, ParsedMetadata, parse_core_metadata

FULL = b"""\
Metadata-Version: 2.4
Name: Some_Thing
Version: 1.0.0
Summary: A thing.
Keywords: alpha,beta
Home-page: https://example.org
Author: Ann
Author-email: ann@example.org
License-Expression: MIT
License-File: LICENSE
Classifier: Programming Language :: Python :: 3
Requires-Python: >=3.9
Requires-Dist: requests>=2
Requires-Dist: rich; extra == "cli"
Provides-Extra: cli
Project-URL: Source, https://example.org/src
Description-Content-Type: text/markdown

# Some thing
"""


def refusal(raw: bytes, **options: bool) -> str:
    with pytest.raises(MetadataError) as info:
        parse_core_metadata(raw, **options)
    return info.value.message


def minimal(extra: str = "", *, version: str = "1.0", mv: str = "2.1") -> bytes:
    return f"Metadata-Version: {mv}\nName: demo\nVersion: {version}\n{extra}".encode()


def test_full_metadata_keeps_values_as_written() -> None:
    meta = parse_core_metadata(FULL)
    assert meta == ParsedMetadata(
        metadata_version="2.4",
        name="Some_Thing",
        version="1.0.0",
        summary="A thing.",
        description="# Some thing\n",
        description_content_type="text/markdown",
        requires_python=">=3.9",
        requires_dist=("requests>=2", 'rich; extra == "cli"'),
        classifiers=("Programming Language :: Python :: 3",),
        license_expression="MIT",
        author="Ann",
        author_email="ann@example.org",
        keywords="alpha, beta",
        home_page="https://example.org",
        project_urls=("Source, https://example.org/src",),
        provides_extra=("cli",),
        license_files=("LICENSE",),
    )


def test_unsupported_metadata_version_is_refused() -> None:
    assert refusal(minimal(mv="9.9")) == (
        "Invalid metadata: metadata-version: '9.9' is not a valid metadata version"
    )


def test_metadata_version_newer_than_the_index_supports_is_refused() -> None:
    # packaging knows 2.6; the index stores fields up to 2.5 only.
    assert refusal(minimal(mv="2.6")) == (
        "Invalid metadata: metadata-version: '2.6' is not a valid metadata version"
    )


def test_missing_version_is_refused() -> None:
    assert refusal(b"Metadata-Version: 2.1\nName: demo\n") == (
        "Invalid metadata: version: 'version' is a required field"
    )


def test_invalid_version_is_refused() -> None:
    assert refusal(minimal(version="1.0-foo-bar")) == (
        "Invalid metadata: version: '1.0-foo-bar' is invalid for 'version'"
    )


def test_invalid_name_is_refused() -> None:
    assert refusal(b"Metadata-Version: 2.1\nName: -foo\nVersion: 1\n") == (
        "Invalid metadata: name: '-foo' is invalid for 'name'"
    )


def test_summary_limit_is_512_characters() -> None:
    assert parse_core_metadata(minimal("Summary: " + "a" * 512 + "\n")).summary == "a" * 512
    assert refusal(minimal("Summary: " + "a" * 513 + "\n")) == (
        "Invalid metadata: summary: 'summary' field must be 512 characters or less."
    )


def test_direct_url_dependency_is_refused() -> None:
    raw = minimal("Requires-Dist: evil @ https://example.org/evil-1.0.whl\n")
    assert refusal(raw) == (
        "Invalid metadata: requires-dist: "
        "Can't have direct dependency: evil @ https://example.org/evil-1.0.whl"
    )


def test_direct_url_in_provides_dist_is_refused() -> None:
    raw = minimal("Provides-Dist: evil @ https://example.org/evil.whl\n", mv="1.2")
    assert refusal(raw) == (
        "Invalid metadata: provides-dist: "
        "Can't have direct dependency: 'evil @ https://example.org/evil.whl'"
    )


def test_license_and_license_expression_together_are_refused() -> None:
    raw = minimal("License: MIT\nLicense-Expression: MIT\n", mv="2.4")
    assert refusal(raw) == (
        "Invalid metadata: license-expression: "
        "License and License-Expression cannot both be set (PEP 639)."
    )


def test_local_version_is_allowed_by_default() -> None:
    assert parse_core_metadata(minimal(version="1.0+cu124")).version == "1.0+cu124"


def test_local_version_is_refused_when_disallowed() -> None:
    assert refusal(minimal(version="1.0+cu124"), allow_local_versions=False) == (
        "Invalid metadata: version: The use of local versions in '1.0+cu124' is not allowed."
    )


def test_license_file_under_old_metadata_version_is_tolerated() -> None:
    # setuptools wrote License-File under Metadata-Version 2.1 for years.
    assert parse_core_metadata(minimal("License-File: LICENSE\n")).license_files == ("LICENSE",)


def test_license_expression_under_old_metadata_version_is_tolerated_but_checked() -> None:
    # hatchling wrote License-Expression under Metadata-Version 2.3.
    raw = minimal("License-Expression: MIT\n", mv="2.3")
    assert parse_core_metadata(raw).license_expression == "MIT"
    assert refusal(minimal("License-Expression: not a licence ((\n", mv="2.3")).startswith(
        "Invalid metadata: license-expression: "
    )
    assert refusal(minimal("License: MIT\nLicense-Expression: MIT\n", mv="2.3")) == (
        "Invalid metadata: license-expression: "
        "License and License-Expression cannot both be set (PEP 639)."
    )


def test_field_newer_than_the_declared_version_is_refused() -> None:
    assert refusal(minimal("Dynamic: Summary\n")) == (
        "Invalid metadata: dynamic: dynamic introduced in metadata version 2.2, not 2.1"
    )


def test_distutils_unknown_values_are_dropped() -> None:
    raw = minimal("Home-page: UNKNOWN\nPlatform: UNKNOWN\nDescription-Content-Type: UNKNOWN\n")
    meta = parse_core_metadata(raw)
    assert (meta.home_page, meta.platforms, meta.description_content_type) == (None, (), None)


def test_unknown_headers_are_ignored() -> None:
    assert parse_core_metadata(minimal("X-Vendor-Thing: 1\n")).name == "demo"


def test_repeated_single_use_field_is_refused() -> None:
    assert refusal(minimal("Name: other\n")) == (
        "Invalid metadata: name: 'name' appears more than once"
    )


def test_invalid_utf8_is_refused_cleanly() -> None:
    assert refusal(minimal() + b"Summary: \xff\xfe\n") == (
        "Invalid metadata: summary: 'summary' has invalid data"
    )


def test_long_project_url_label_is_refused() -> None:
    label = "L" * 33
    assert refusal(minimal(f"Project-URL: {label}, https://example.org\n")) == (
        f"Invalid metadata: project-url: '{label}' must be 32 characters or less."
    )


def test_every_problem_is_reported_on_one_line_most_fundamental_first() -> None:
    raw = b"Metadata-Version: 9.9\nName: demo\nVersion: 1.0-foo-bar\n"
    message = refusal(raw)
    assert message == (
        "Invalid metadata: metadata-version: '9.9' is not a valid metadata version; "
        "version: '1.0-foo-bar' is invalid for 'version'"
    )
    assert "\n" not in message
