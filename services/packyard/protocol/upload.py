"""The legacy upload API (``POST …/legacy/``): form parsing and the cross-checks between the
form, the filename and the metadata inside the artifact.

Wording follows Warehouse (``forklift/forms.py``, ``forklift/legacy.py``) because twine,
uv, poetry and pdm show it to users. Unlike Warehouse, the artifact's own metadata is what gets
stored and the form must agree with it (Trail of Bits TOB-PYPI26-10: hidden Requires-Dist).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from packyard.common.errors import FailedPrecondition, InvalidArgument
from packyard.protocol.filenames import DistributionFilename
from packyard.protocol.metadata import ParsedMetadata
from packyard.protocol.names import is_valid_project_name, normalize, wheel_name

FILETYPES = frozenset({"sdist", "bdist_wheel"})
_EXTENSIONS = {"sdist": ".tar.gz", "bdist_wheel": ".whl"}
_KIND_TO_FILETYPE = {"sdist": "sdist", "wheel": "bdist_wheel"}

# Fields sent once. Core-metadata fields are lower_snake_cased (twine's PackageMetadata).
SCALAR_FIELDS = frozenset(
    {
        ":action",
        "protocol_version",
        "filetype",
        "pyversion",
        "name",
        "version",
        "metadata_version",
        "md5_digest",
        "sha256_digest",
        "blake2_256_digest",
        "comment",
        "attestations",
        "summary",
        "description",
        "description_content_type",
        "keywords",  # one comma-joined string, not repeated
        "home_page",
        "download_url",
        "author",
        "author_email",
        "maintainer",
        "maintainer_email",
        "license",
        "license_expression",
        "requires_python",
    }
)
# Multi-use core-metadata fields are repeated keys; twine keeps three singular names.
MULTI_FIELDS = frozenset(
    {
        "classifiers",
        "platform",
        "supported_platform",
        "requires",
        "provides",
        "obsoletes",
        "requires_dist",
        "provides_dist",
        "obsoletes_dist",
        "requires_external",
        "project_urls",
        "provides_extra",
        "dynamic",
        "license_file",
        "license_files",
    }
)
UPLOAD_FIELDS = SCALAR_FIELDS | MULTI_FIELDS
# The file part, and a part Warehouse has ignored since PEP 740 replaced it.
FILE_FIELDS = frozenset({"content", "gpg_signature"})

DIGEST_FIELDS = {"md5": "md5_digest", "sha256": "sha256_digest", "blake2_256": "blake2_256_digest"}
_HEX64_RE = re.compile(r"^[A-Fa-f0-9]{64}\Z")

NAME_MESSAGE = (
    "Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'."
)
PREREGISTRATION_GONE = (
    "Project pre-registration is no longer required or supported, upload your files instead."
)
DOC_UPLOAD_GONE = (
    "Uploading documentation is no longer supported, we recommend using https://readthedocs.org/."
)
DIGEST_MISMATCH = "The digest supplied does not match a digest calculated from the uploaded file."


class UploadRejected(InvalidArgument):
    """The upload request is refused (HTTP 400); the message is Warehouse's where one exists."""


class UploadGone(FailedPrecondition):
    """An ``:action`` PyPI retired; the gateway answers 410 Gone with this message."""

    http_status = 410


@dataclass(slots=True)
class UploadForm:
    action: str
    protocol_version: str
    filetype: str
    pyversion: str
    name: str
    version: str
    md5_digest: str | None = None
    sha256_digest: str | None = None
    blake2_256_digest: str | None = None
    metadata_version: str | None = None
    summary: str | None = None
    requires_python: str | None = None
    comment: str | None = None
    attestations: str | None = None
    requires_dist: list[str] = field(default_factory=list)
    classifiers: list[str] = field(default_factory=list)
    project_urls: list[str] = field(default_factory=list)
    provides_extra: list[str] = field(default_factory=list)
    dynamic: list[str] = field(default_factory=list)
    # Every known field as sent (after UNKNOWN removal), for anything not modelled above.
    fields: dict[str, list[str]] = field(default_factory=dict)

    def digests(self) -> dict[str, str]:
        """The supplied digests by algorithm name (``md5``, ``sha256``, ``blake2_256``)."""
        found = {algo: getattr(self, attr) for algo, attr in DIGEST_FIELDS.items()}
        return {algo: value for algo, value in found.items() if value}


@dataclass(frozen=True, slots=True)
class ValidatedUpload:
    project: str  # normalized (PEP 503)
    display_name: str  # Name as written in the artifact's metadata
    version: str  # Version as written in the artifact's metadata
    filename: str
    filetype: str  # "sdist" | "bdist_wheel"
    python_version: str  # the form's pyversion; "source" for sdists
    metadata: ParsedMetadata


def parse_upload_form(
    fields: Mapping[str, list[str]],
    *,
    file_fields: Collection[str] = (),
    allow_md5_only: bool = False,
) -> UploadForm:
    """Turn the multipart text fields into an ``UploadForm``, cheapest checks first.

    ``fields`` holds the text parts; ``file_fields`` names the parts that arrived as files
    (only ``content`` may). Unknown fields are ignored, as Warehouse does.
    """
    action = _first(fields, ":action")
    if action == "submit":
        raise UploadGone(PREREGISTRATION_GONE)
    if action == "doc_upload":
        raise UploadGone(DOC_UPLOAD_GONE)
    if action != "file_upload":
        raise UploadRejected("Invalid value for :action. Error: Use 'file_upload'.")
    # distutils sent "UNKNOWN" for every unset field; it never means the literal string.
    # An empty value is no value either (an empty requires_python must not become "any").
    cleaned = {
        key: [v for v in values if v.strip() not in ("UNKNOWN", "")]
        for key, values in fields.items()
        if key in UPLOAD_FIELDS
    }
    cleaned = {key: values for key, values in cleaned.items() if values}
    protocol_version = _first(cleaned, "protocol_version") or "1"
    if protocol_version != "1":
        raise UploadRejected("Unknown protocol version.")

    as_files = sorted(set(file_fields) - FILE_FIELDS)
    if as_files:
        raise UploadRejected(f"{as_files[0]}: Should not be a tuple.")
    for key in sorted(SCALAR_FIELDS & cleaned.keys()):
        if len(cleaned[key]) > 1:
            raise UploadRejected(f"{key}: Should not be a tuple.")
    for key in sorted(cleaned):
        if any("\x00" in value for value in cleaned[key]):
            raise UploadRejected(f"Invalid value for {key}. Error: Null bytes are not allowed.")

    def scalar(key: str) -> str | None:
        values = cleaned.get(key)
        return values[0] if values else None

    name = scalar("name")
    if name is None:
        raise UploadRejected("Invalid value for name. Error: This field is required.")
    _check_project_name(name)
    version = scalar("version")
    if version is None:
        raise UploadRejected("Invalid value for version. Error: This field is required.")
    filetype = scalar("filetype")
    if filetype is None:
        raise UploadRejected("Invalid value for filetype. Error: This field is required.")
    if filetype not in FILETYPES:
        raise UploadRejected("Invalid value for filetype. Error: Use a known file type.")

    pyversion = scalar("pyversion") or ""
    if filetype == "sdist":
        if pyversion and pyversion != "source":
            raise UploadRejected("Use 'source' as Python version for an sdist.")
        pyversion = "source"
    elif not pyversion:
        raise UploadRejected("Python version is required for binary distribution uploads.")

    form = UploadForm(
        action=action,
        protocol_version=protocol_version,
        filetype=filetype,
        pyversion=pyversion,
        name=name,
        version=version,
        md5_digest=scalar("md5_digest"),
        sha256_digest=scalar("sha256_digest"),
        blake2_256_digest=scalar("blake2_256_digest"),
        metadata_version=scalar("metadata_version"),
        summary=scalar("summary"),
        requires_python=scalar("requires_python"),
        comment=scalar("comment"),
        attestations=scalar("attestations"),
        requires_dist=list(cleaned.get("requires_dist", [])),
        classifiers=list(cleaned.get("classifiers", [])),
        project_urls=list(cleaned.get("project_urls", [])),
        provides_extra=list(cleaned.get("provides_extra", [])),
        dynamic=list(cleaned.get("dynamic", [])),
        fields={key: list(values) for key, values in cleaned.items()},
    )
    _check_digest_fields(form, allow_md5_only=allow_md5_only)
    return form


def _first(fields: Mapping[str, list[str]], key: str) -> str | None:
    values = fields.get(key)
    return values[0] if values else None


def _check_project_name(name: str) -> None:
    if not is_valid_project_name(name):
        shown = name[:30] + "..." + name[-30:] if len(name) > 60 else name
        raise UploadRejected(
            f"{shown!r} is an invalid value for Name. Error: {NAME_MESSAGE} "
            "See https://packaging.python.org/specifications/core-metadata for more information."
        )


def _check_digest_fields(form: UploadForm, *, allow_md5_only: bool) -> None:
    if form.sha256_digest is not None and not _HEX64_RE.match(form.sha256_digest):
        raise UploadRejected(
            "Invalid value for sha256_digest. "
            "Error: Use a valid, hex-encoded, SHA256 message digest."
        )
    if form.blake2_256_digest is not None and not _HEX64_RE.match(form.blake2_256_digest):
        raise UploadRejected(
            "Invalid value for blake2_256_digest. "
            "Error: Use a valid, hex-encoded, BLAKE2 message digest."
        )
    if not form.digests():
        raise UploadRejected("Include at least one message digest.")
    # MD5 is broken; a client that can only vouch for the bytes with it gets no trust here.
    if not allow_md5_only and form.sha256_digest is None and form.blake2_256_digest is None:
        raise UploadRejected("Include a sha256_digest.")


def verify_digests(form: UploadForm, computed: Mapping[str, str]) -> None:
    """Every digest the client supplied must match the one computed from the stored bytes."""
    for algo, supplied in form.digests().items():
        actual = computed.get(algo, "")
        if not actual or not hmac.compare_digest(supplied.lower(), actual.lower()):
            raise UploadRejected(DIGEST_MISMATCH)


def validate_upload(
    form: UploadForm,
    dist: DistributionFilename,
    metadata: ParsedMetadata,
    *,
    allow_local_versions: bool,
) -> ValidatedUpload:
    """Cross-check form, filename and artifact metadata; the artifact is what gets stored."""
    _check_project_name(form.name)
    filetype = _KIND_TO_FILETYPE[dist.kind]
    if form.filetype != filetype:
        extension = _EXTENSIONS[filetype]
        raise UploadRejected(
            f"Invalid file extension: Extension {extension} is invalid for filetype "
            f"{form.filetype}. See https://www.python.org/dev/peps/pep-0527 for more information."
        )
    artifact = "METADATA in the wheel" if dist.kind == "wheel" else "PKG-INFO in the sdist"

    project = normalize(form.name)
    expected_name = wheel_name(form.name)
    # Exact equality, not a prefix: project "no" must not burn "no_way-1.0.tar.gz" (WH #14027).
    if dist.project != project:
        raise UploadRejected(f"Start filename for {form.name!r} with {expected_name!r}.")
    if normalize(metadata.name) != project:
        raise UploadRejected(f"Form metadata does not match {artifact}: Name")

    meta_version = _parse_version(metadata.version)
    if meta_version.local and not allow_local_versions:
        raise UploadRejected(f"The use of local versions in {str(meta_version)!r} is not allowed.")
    if dist.kind == "wheel":
        if dist.name_part != expected_name:
            raise UploadRejected(
                f"Filename {dist.filename!r} should contain the normalized project name "
                f"{expected_name!r}, not {dist.name_part!r}."
            )
        if dist.version != meta_version:
            raise UploadRejected(
                f"Version in filename should be {str(meta_version)!r} not {str(dist.version)!r}."
            )
    else:
        # PEP 625: exactly {normalized_name}-{version}.tar.gz (Warehouse since 2025-10).
        expected_filename = f"{expected_name}-{meta_version}.tar.gz"
        if dist.filename != expected_filename:
            raise UploadRejected(
                f"Filename {dist.filename!r} is invalid, should be {expected_filename!r}."
            )

    if _parse_version_or_none(form.version) != meta_version:
        raise UploadRejected(f"Form metadata does not match {artifact}: Version")
    _check_form_matches_artifact(form, metadata, artifact)

    return ValidatedUpload(
        project=project,
        display_name=metadata.name,
        version=metadata.version,
        filename=dist.filename,
        filetype=filetype,
        python_version=form.pyversion if dist.kind == "wheel" else "source",
        metadata=metadata,
    )


def _parse_version(value: str) -> Version:
    try:
        return Version(value)
    except InvalidVersion as exc:
        raise UploadRejected(f"Invalid version {value!r}.") from exc


def _parse_version_or_none(value: str) -> Version | None:
    try:
        return Version(value)
    except InvalidVersion:
        return None


def _check_form_matches_artifact(form: UploadForm, metadata: ParsedMetadata, artifact: str) -> None:
    """The dependency fields a client shows the user must be the ones installers will see.

    A client that sends core metadata at all (``metadata_version``, as twine, uv, poetry and
    pdm do) sends all of it, so an absent Requires-Dist means "none". A bare form (name,
    version, digests) makes no claim and is not compared.
    """
    sends_metadata = form.metadata_version is not None
    if sends_metadata or form.requires_dist:
        if _requirements(form.requires_dist) != _requirements(list(metadata.requires_dist)):
            raise UploadRejected(f"Form metadata does not match {artifact}: Requires-Dist")
    if sends_metadata or form.requires_python is not None:
        if _specifiers(form.requires_python) != _specifiers(metadata.requires_python):
            raise UploadRejected(f"Form metadata does not match {artifact}: Requires-Python")


def _requirements(values: list[str]) -> list[str] | None:
    try:
        return sorted(str(Requirement(value)) for value in values)
    except InvalidRequirement:
        return None


def _specifiers(value: str | None) -> SpecifierSet | str | None:
    if value is None:
        return None
    try:
        return SpecifierSet(value)
    except InvalidSpecifier:
        # Unparseable on either side can only match byte-for-byte.
        return value
