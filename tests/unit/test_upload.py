"""Legacy upload form parsing and the form/filename/metadata cross-checks (RELIABILITY §5 A)."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from packyard.protocol.filenames import parse_distribution_filename
from packyard.protocol.metadata import ParsedMetadata
from packyard.protocol.upload import (
    DIGEST_MISMATCH,
    UploadForm,
    UploadGone,
    UploadRejected,
    ValidatedUpload,
    parse_upload_form,
    validate_upload,
    verify_digests,
)

CONTENT = b"the uploaded bytes"
SHA256 = hashlib.sha256(CONTENT).hexdigest()
BLAKE2 = hashlib.blake2b(CONTENT, digest_size=32).hexdigest()
MD5 = hashlib.md5(CONTENT).hexdigest()
NAME_RULE = (
    "Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'."
)


def twine_fields(**overrides: list[str] | None) -> dict[str, list[str]]:
    """What twine 7 sends for a wheel (repository.py: _convert_metadata_to_list_of_tuples)."""
    fields: dict[str, list[str]] = {
        ":action": ["file_upload"],
        "protocol_version": ["1"],
        "metadata_version": ["2.1"],
        "name": ["some-thing"],
        "version": ["1.0"],
        "filetype": ["bdist_wheel"],
        "pyversion": ["py3"],
        "summary": ["A thing."],
        "classifiers": ["Programming Language :: Python :: 3", "Typing :: Typed"],
        "requires_dist": ["requests>=2", 'rich; extra == "cli"'],
        "requires_python": [">=3.9"],
        "md5_digest": [MD5],
        "sha256_digest": [SHA256],
        "blake2_256_digest": [BLAKE2],
    }
    for key, value in overrides.items():
        if value is None:
            fields.pop(key, None)
        else:
            fields[key] = value
    return fields


def rejected(fields: dict[str, list[str]], **options: object) -> str:
    with pytest.raises(UploadRejected) as info:
        parse_upload_form(fields, **options)  # type: ignore[arg-type]
    return info.value.message


def metadata(**overrides: object) -> ParsedMetadata:
    base = ParsedMetadata(
        metadata_version="2.1",
        name="Some_Thing",
        version="1.0",
        requires_python=">=3.9",
        requires_dist=("requests>=2", 'rich; extra == "cli"'),
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def validate(
    filename: str = "some_thing-1.0-py3-none-any.whl",
    form: UploadForm | None = None,
    meta: ParsedMetadata | None = None,
    *,
    allow_local_versions: bool = True,
) -> ValidatedUpload:
    return validate_upload(
        form or parse_upload_form(twine_fields()),
        parse_distribution_filename(filename),
        meta or metadata(),
        allow_local_versions=allow_local_versions,
    )


def validation_error(*args: object, **kwargs: object) -> str:
    with pytest.raises(UploadRejected) as info:
        validate(*args, **kwargs)  # type: ignore[arg-type]
    return info.value.message


# --- parse_upload_form -------------------------------------------------------------------------


def test_twine_form_is_parsed() -> None:
    form = parse_upload_form(twine_fields())
    assert (form.action, form.protocol_version, form.filetype, form.pyversion) == (
        "file_upload",
        "1",
        "bdist_wheel",
        "py3",
    )
    assert (form.name, form.version, form.metadata_version) == ("some-thing", "1.0", "2.1")
    assert form.classifiers == ["Programming Language :: Python :: 3", "Typing :: Typed"]
    assert form.requires_dist == ["requests>=2", 'rich; extra == "cli"']
    assert form.digests() == {"md5": MD5, "sha256": SHA256, "blake2_256": BLAKE2}


def test_preregistration_is_gone() -> None:
    with pytest.raises(UploadGone) as info:
        parse_upload_form(twine_fields(**{":action": ["submit"]}))
    assert info.value.message == (
        "Project pre-registration is no longer required or supported, upload your files instead."
    )
    assert info.value.http_status == 410


def test_doc_upload_is_gone() -> None:
    with pytest.raises(UploadGone) as info:
        parse_upload_form(twine_fields(**{":action": ["doc_upload"]}))
    assert info.value.message == (
        "Uploading documentation is no longer supported, we recommend using "
        "https://readthedocs.org/."
    )


def test_missing_protocol_version_is_accepted() -> None:
    assert parse_upload_form(twine_fields(protocol_version=None)).protocol_version == "1"


def test_unknown_protocol_version_is_refused() -> None:
    assert rejected(twine_fields(protocol_version=["2"])) == "Unknown protocol version."


def test_scalar_field_sent_twice_is_refused() -> None:
    assert rejected(twine_fields(version=["1.0", "2.0"])) == "version: Should not be a tuple."


def test_scalar_field_sent_as_a_file_is_refused() -> None:
    message = rejected(twine_fields(), file_fields=["content", "version"])
    assert message == "version: Should not be a tuple."


@pytest.mark.parametrize("filetype", ["bdist_egg", "bdist_wininst", "bdist_dumb", "bdist_msi"])
def test_legacy_filetype_is_refused(filetype: str) -> None:
    assert rejected(twine_fields(filetype=[filetype])) == (
        "Invalid value for filetype. Error: Use a known file type."
    )


@pytest.mark.parametrize("field", ["name", "version", "filetype"])
def test_required_field_missing_is_refused(field: str) -> None:
    assert rejected(twine_fields(**{field: None})) == (
        f"Invalid value for {field}. Error: This field is required."
    )


@pytest.mark.parametrize(
    "name",
    # Cyrillic e, fullwidth foo, a combining acute accent, then ASCII tricks.
    ["requ\u0435sts", "\uff46\uff4f\uff4f", "foo\u0301", "foo\n", "-foo", "foo.", "foo bar", "_"],
)
def test_invalid_project_name_is_refused(name: str) -> None:
    assert rejected(twine_fields(name=[name])) == (
        f"{name!r} is an invalid value for Name. Error: {NAME_RULE} "
        "See https://packaging.python.org/specifications/core-metadata for more information."
    )


def test_wheel_needs_a_python_version() -> None:
    assert rejected(twine_fields(pyversion=None)) == (
        "Python version is required for binary distribution uploads."
    )


def test_sdist_python_version_is_source() -> None:
    form = parse_upload_form(twine_fields(filetype=["sdist"], pyversion=None))
    assert form.pyversion == "source"
    assert rejected(twine_fields(filetype=["sdist"], pyversion=["py3"])) == (
        "Use 'source' as Python version for an sdist."
    )


def test_at_least_one_digest_is_required() -> None:
    fields = twine_fields(md5_digest=None, sha256_digest=None, blake2_256_digest=None)
    assert rejected(fields) == "Include at least one message digest."


def test_md5_only_is_refused_unless_allowed() -> None:
    fields = twine_fields(sha256_digest=None, blake2_256_digest=None)
    assert rejected(fields) == "Include a sha256_digest."
    assert parse_upload_form(fields, allow_md5_only=True).digests() == {"md5": MD5}


@pytest.mark.parametrize("value", [SHA256[:63], "z" * 64, SHA256 + "0"])
def test_malformed_sha256_is_refused(value: str) -> None:
    assert rejected(twine_fields(sha256_digest=[value])) == (
        "Invalid value for sha256_digest. Error: Use a valid, hex-encoded, SHA256 message digest."
    )


def test_malformed_blake2_is_refused() -> None:
    assert rejected(twine_fields(blake2_256_digest=["abc"])) == (
        "Invalid value for blake2_256_digest. "
        "Error: Use a valid, hex-encoded, BLAKE2 message digest."
    )


def test_unknown_values_are_dropped() -> None:
    form = parse_upload_form(twine_fields(summary=["UNKNOWN"], requires_python=["UNKNOWN"]))
    assert form.summary is None
    assert form.requires_python is None


def test_nul_byte_is_refused_cleanly() -> None:
    assert rejected(twine_fields(summary=["a\x00b"])) == (
        "Invalid value for summary. Error: Null bytes are not allowed."
    )


def test_unknown_fields_are_ignored() -> None:
    form = parse_upload_form(twine_fields(frobnicate=["a", "b"], gpg_signature=["x"]))
    assert "frobnicate" not in form.fields


# --- validate_upload ---------------------------------------------------------------------------


def test_valid_wheel_upload() -> None:
    assert validate() == ValidatedUpload(
        project="some-thing",
        display_name="Some_Thing",
        version="1.0",
        filename="some_thing-1.0-py3-none-any.whl",
        filetype="bdist_wheel",
        python_version="py3",
        metadata=metadata(),
    )


def test_valid_sdist_upload() -> None:
    form = parse_upload_form(twine_fields(filetype=["sdist"], pyversion=None))
    result = validate("some_thing-1.0.tar.gz", form)
    assert (result.filetype, result.python_version, result.project) == (
        "sdist",
        "source",
        "some-thing",
    )


def test_wheel_for_another_project_is_refused() -> None:
    form = parse_upload_form(twine_fields(name=["bar"]))
    assert validation_error("foo-1.0-py3-none-any.whl", form, metadata(name="foo")) == (
        "Start filename for 'bar' with 'bar'."
    )


def test_wheel_name_must_be_normalized() -> None:
    assert validation_error("Some_Thing-1.0-py3-none-any.whl") == (
        "Filename 'Some_Thing-1.0-py3-none-any.whl' should contain the normalized project "
        "name 'some_thing', not 'Some_Thing'."
    )


def test_wheel_version_must_match_metadata() -> None:
    form = parse_upload_form(twine_fields(version=["1.1"]))
    assert validation_error("some_thing-1.0-py3-none-any.whl", form, metadata(version="1.1")) == (
        "Version in filename should be '1.1' not '1.0'."
    )


def test_wheel_version_compares_after_parsing() -> None:
    form = parse_upload_form(twine_fields(version=["1.0.0"]))
    assert validate(form=form, meta=metadata(version="1.0.0")).version == "1.0.0"


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("some-thing-1.0.tar.gz", "some_thing-1.0.tar.gz"),
        ("Some_Thing-1.0.tar.gz", "some_thing-1.0.tar.gz"),
        ("some_thing-1.0.0.tar.gz", "some_thing-1.0.tar.gz"),
    ],
)
def test_sdist_filename_must_be_pep625_exact(filename: str, expected: str) -> None:
    form = parse_upload_form(twine_fields(filetype=["sdist"], pyversion=None))
    assert validation_error(filename, form) == (
        f"Filename {filename!r} is invalid, should be {expected!r}."
    )


def test_prefix_squatting_is_refused() -> None:
    # Project "no" must not be able to burn the filename of project "no-way" (warehouse#14027).
    form = parse_upload_form(twine_fields(name=["no"], filetype=["sdist"], pyversion=None))
    assert validation_error("no_way-1.0.tar.gz", form, metadata(name="no")) == (
        "Start filename for 'no' with 'no'."
    )


def test_filetype_must_match_extension() -> None:
    form = parse_upload_form(twine_fields(filetype=["sdist"], pyversion=None))
    assert validation_error("some_thing-1.0-py3-none-any.whl", form) == (
        "Invalid file extension: Extension .whl is invalid for filetype sdist. "
        "See https://www.python.org/dev/peps/pep-0527 for more information."
    )


def test_metadata_for_another_project_is_refused() -> None:
    assert validation_error(meta=metadata(name="other")) == (
        "Form metadata does not match METADATA in the wheel: Name"
    )


def test_form_version_must_match_metadata() -> None:
    form = parse_upload_form(twine_fields(version=["2.0"]))
    assert validation_error(form=form) == (
        "Form metadata does not match METADATA in the wheel: Version"
    )


def test_hidden_requires_dist_is_refused() -> None:
    meta = metadata(requires_dist=("requests>=2", 'rich; extra == "cli"', "evil"))
    assert validation_error(meta=meta) == (
        "Form metadata does not match METADATA in the wheel: Requires-Dist"
    )


def test_hidden_requires_dist_in_sdist_is_refused() -> None:
    form = parse_upload_form(twine_fields(filetype=["sdist"], pyversion=None, requires_dist=None))
    assert validation_error("some_thing-1.0.tar.gz", form) == (
        "Form metadata does not match PKG-INFO in the sdist: Requires-Dist"
    )


def test_requires_dist_compares_parsed_and_unordered() -> None:
    form = parse_upload_form(twine_fields(requires_dist=['rich ; extra=="cli"', "requests >= 2"]))
    assert validate(form=form).metadata.requires_dist == ("requests>=2", 'rich; extra == "cli"')


def test_requires_python_must_match() -> None:
    form = parse_upload_form(twine_fields(requires_python=[">=3.8"]))
    assert validation_error(form=form) == (
        "Form metadata does not match METADATA in the wheel: Requires-Python"
    )


def test_bare_form_makes_no_metadata_claim() -> None:
    fields = twine_fields(metadata_version=None, requires_dist=None, requires_python=None)
    assert validate(form=parse_upload_form(fields)).metadata == metadata()


def test_local_version_is_refused_when_disallowed() -> None:
    form = parse_upload_form(twine_fields(version=["1.0+cu124"]))
    meta = metadata(version="1.0+cu124")
    filename = "some_thing-1.0+cu124-py3-none-any.whl"
    assert validate(filename, form, meta).version == "1.0+cu124"
    assert validation_error(filename, form, meta, allow_local_versions=False) == (
        "The use of local versions in '1.0+cu124' is not allowed."
    )


def test_invalid_form_name_is_refused_again_at_validation() -> None:
    form = replace(parse_upload_form(twine_fields()), name="-some-thing")
    assert NAME_RULE in validation_error(form=form)


# --- verify_digests ----------------------------------------------------------------------------

COMPUTED = {"md5": MD5, "sha256": SHA256, "blake2_256": BLAKE2}


def test_matching_digests_pass_in_any_case() -> None:
    form = parse_upload_form(twine_fields(sha256_digest=[SHA256.upper()]))
    verify_digests(form, COMPUTED)


@pytest.mark.parametrize("field", ["md5_digest", "sha256_digest", "blake2_256_digest"])
def test_any_mismatching_digest_is_refused(field: str) -> None:
    wrong = "0" * (32 if field == "md5_digest" else 64)
    form = parse_upload_form(twine_fields(**{field: [wrong]}), allow_md5_only=True)
    with pytest.raises(UploadRejected) as info:
        verify_digests(form, COMPUTED)
    assert info.value.message == DIGEST_MISMATCH
    assert DIGEST_MISMATCH == (
        "The digest supplied does not match a digest calculated from the uploaded file."
    )


def test_only_supplied_digests_are_compared() -> None:
    form = parse_upload_form(twine_fields(md5_digest=None, blake2_256_digest=None))
    verify_digests(form, {"sha256": SHA256})
