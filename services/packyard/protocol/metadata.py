"""Core metadata (METADATA / PKG-INFO) parsed with ``packaging.metadata`` plus the index's rules.

Warehouse layers its rules on ``packaging`` the same way (``warehouse/forklift/metadata.py``);
every problem is collected and reported on one line, most fundamental field first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from packaging.metadata import (  # the private table is packaging's list of known fields
    _EMAIL_TO_RAW_MAPPING,
    InvalidMetadata,
    Metadata,
    RawMetadata,
    parse_email,
)
from packaging.requirements import InvalidRequirement, Requirement

from packyard.common.errors import InvalidArgument

SUPPORTED_METADATA_VERSIONS = frozenset({"1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"})
MAX_SUMMARY_LENGTH = 512
MAX_PROJECT_URL_LABEL = 32

# The fields that shape every other error come first (Warehouse's ``_error_message_order``).
_ERROR_ORDER = ("metadata-version", "name", "version")
_SINGLE_USE = frozenset(
    {
        "metadata-version",
        "name",
        "version",
        "summary",
        "description",
        "description-content-type",
        "keywords",
        "home-page",
        "download-url",
        "author",
        "author-email",
        "maintainer",
        "maintainer-email",
        "license",
        "license-expression",
        "requires-python",
    }
)
# PEP 639 fields (Metadata-Version 2.4) written under older versions: setuptools 56-76 wrote
# License-File under 2.1/2.2 for years, hatchling wrote License-Expression under 2.3. Those
# artifacts are valid in every other respect, so the fields are checked on their own as 2.4.
_PEP639_EARLY_VERSIONS = frozenset({"1.0", "1.1", "1.2", "2.1", "2.2", "2.3"})


class MetadataError(InvalidArgument):
    """Core metadata that the index refuses; the message starts "Invalid metadata:"."""


@dataclass(frozen=True, slots=True)
class ParsedMetadata:
    """The stored fields, as strings written in the artifact (not re-serialized objects)."""

    metadata_version: str
    name: str
    version: str
    summary: str | None = None
    description: str | None = None
    description_content_type: str | None = None
    requires_python: str | None = None
    requires_dist: tuple[str, ...] = ()
    classifiers: tuple[str, ...] = ()
    license: str | None = None
    license_expression: str | None = None
    author: str | None = None
    author_email: str | None = None
    maintainer: str | None = None
    maintainer_email: str | None = None
    keywords: str | None = None
    home_page: str | None = None
    project_urls: tuple[str, ...] = ()  # "Label, URL", as in the Project-URL header
    provides_extra: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    download_url: str | None = None
    license_files: tuple[str, ...] = ()
    dynamic: tuple[str, ...] = ()


def parse_core_metadata(raw: bytes, *, allow_local_versions: bool = True) -> ParsedMetadata:
    """Parse and validate METADATA/PKG-INFO bytes; raise ``MetadataError`` on any problem."""
    fields, unparsed = parse_email(raw)
    errors: list[InvalidMetadata] = []
    for key, values in unparsed.items():
        if key in _SINGLE_USE and len(values) > 1:
            errors.append(InvalidMetadata(key, f"{key!r} appears more than once"))
        elif key in _EMAIL_TO_RAW_MAPPING:
            errors.append(InvalidMetadata(key, f"{key!r} has invalid data"))
        # Unknown headers are ignored: newer metadata versions and tools add fields.
    fields = _without_unknown(fields)

    early: dict[str, object] = {}
    if fields.get("metadata_version") in _PEP639_EARLY_VERSIONS:
        if "license_expression" in fields:
            early["license_expression"] = fields.pop("license_expression")
        if "license_files" in fields:
            early["license_files"] = fields.pop("license_files")

    meta: Metadata | None = None
    try:
        meta = Metadata.from_raw(fields, validate=True)
    except ExceptionGroup as group:
        # A field dropped as unparseable also shows up as "required"; one error per field.
        already = {error.field for error in errors}
        errors.extend(e for e in _flatten(group) if e.field not in already)
    if early:
        errors.extend(_pep639_errors(early))
    combined = cast(RawMetadata, {**fields, **early})
    if meta is not None:
        errors.extend(_index_rules(meta, combined, allow_local_versions=allow_local_versions))
    if errors:
        raise MetadataError(_one_line(errors))
    return _to_parsed(combined)


def _without_unknown(fields: RawMetadata) -> RawMetadata:
    # distutils wrote "UNKNOWN" for every unset field (Home-page, Platform, even
    # Description-Content-Type); like Warehouse's form handling, it means "not given".
    kept: dict[str, object] = {}
    for key, value in fields.items():
        if isinstance(value, str):
            if value.strip() != "UNKNOWN":
                kept[key] = value
        elif isinstance(value, list):
            kept[key] = [item for item in value if item.strip() != "UNKNOWN"]
        else:
            kept[key] = value
    return cast(RawMetadata, kept)


def _pep639_errors(early: dict[str, object]) -> list[InvalidMetadata]:
    probe = cast(RawMetadata, {"metadata_version": "2.4", "name": "x", "version": "0", **early})
    try:
        Metadata.from_raw(probe, validate=True)
    except ExceptionGroup as group:
        return _flatten(group)
    return []


def _flatten(group: BaseExceptionGroup[Exception]) -> list[InvalidMetadata]:
    found: list[InvalidMetadata] = []
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            found.extend(_flatten(exc))
        elif isinstance(exc, InvalidMetadata):
            found.append(exc)
        else:
            found.append(InvalidMetadata("metadata", str(exc)))
    return found


def _index_rules(
    meta: Metadata, fields: RawMetadata, *, allow_local_versions: bool
) -> list[InvalidMetadata]:
    errors: list[InvalidMetadata] = []
    if meta.metadata_version not in SUPPORTED_METADATA_VERSIONS:
        errors.append(
            InvalidMetadata(
                "metadata-version", f"{meta.metadata_version!r} is not a valid metadata version"
            )
        )
    if meta.version.local and not allow_local_versions:
        errors.append(
            InvalidMetadata(
                "version", f"The use of local versions in {str(meta.version)!r} is not allowed."
            )
        )
    if meta.summary is not None and len(meta.summary) > MAX_SUMMARY_LENGTH:
        errors.append(
            InvalidMetadata(
                "summary", f"'summary' field must be {MAX_SUMMARY_LENGTH} characters or less."
            )
        )
    if fields.get("license") is not None and fields.get("license_expression") is not None:
        errors.append(
            InvalidMetadata(
                "license-expression",
                "License and License-Expression cannot both be set (PEP 639).",
            )
        )
    for req in meta.requires_dist or []:
        if req.url is not None:
            errors.append(InvalidMetadata("requires-dist", f"Can't have direct dependency: {req}"))
    other_dists = {
        "provides-dist": fields.get("provides_dist") or [],
        "obsoletes-dist": fields.get("obsoletes_dist") or [],
    }
    for email_key, values in other_dists.items():
        for req_str in values:
            try:
                parsed = Requirement(req_str)
            except InvalidRequirement as exc:
                errors.append(InvalidMetadata(email_key, f"{req_str!r} is invalid: {exc}"))
                continue
            if parsed.url is not None:
                errors.append(
                    InvalidMetadata(email_key, f"Can't have direct dependency: {req_str!r}")
                )
    for label, url in (meta.project_urls or {}).items():
        if not label:
            errors.append(InvalidMetadata("project-url", "Must have a label"))
        elif len(label) > MAX_PROJECT_URL_LABEL:
            errors.append(
                InvalidMetadata(
                    "project-url", f"{label!r} must be {MAX_PROJECT_URL_LABEL} characters or less."
                )
            )
        elif not url:
            errors.append(InvalidMetadata("project-url", "Must have a URL"))
    return errors


def _one_line(errors: list[InvalidMetadata]) -> str:
    def rank(error: InvalidMetadata) -> tuple[int, str]:
        field = error.field
        return (_ERROR_ORDER.index(field) if field in _ERROR_ORDER else len(_ERROR_ORDER), field)

    parts = [f"{e.field}: {e}" for e in sorted(errors, key=rank)]
    return "Invalid metadata: " + "; ".join(parts)


def _to_parsed(fields: RawMetadata) -> ParsedMetadata:
    keywords = fields.get("keywords")
    urls = fields.get("project_urls") or {}
    return ParsedMetadata(
        metadata_version=fields["metadata_version"],
        name=fields["name"],
        version=fields["version"],
        summary=fields.get("summary"),
        description=fields.get("description"),
        description_content_type=fields.get("description_content_type"),
        requires_python=fields.get("requires_python"),
        requires_dist=tuple(fields.get("requires_dist") or ()),
        classifiers=tuple(fields.get("classifiers") or ()),
        license=fields.get("license"),
        license_expression=fields.get("license_expression"),
        author=fields.get("author"),
        author_email=fields.get("author_email"),
        maintainer=fields.get("maintainer"),
        maintainer_email=fields.get("maintainer_email"),
        # packaging splits Keywords on commas; this is the form twine sends it back in.
        keywords=", ".join(keywords) if keywords else None,
        home_page=fields.get("home_page"),
        project_urls=tuple(f"{label}, {url}" for label, url in urls.items()),
        provides_extra=tuple(fields.get("provides_extra") or ()),
        platforms=tuple(fields.get("platforms") or ()),
        download_url=fields.get("download_url"),
        license_files=tuple(fields.get("license_files") or ()),
        dynamic=tuple(fields.get("dynamic") or ()),
    )
