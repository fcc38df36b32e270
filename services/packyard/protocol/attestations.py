"""PEP 740 attestations sent with an upload (twine ``--attestations``): parsed, verified, and
turned into the provenance object the index serves.

Verification is ``pypi-attestations`` (the library Warehouse uses) over ``sigstore``, with
``offline=True``: the Sigstore production trust root embedded in the sigstore wheel, no TUF
refresh, so an air-gapped index verifies uploads too (a trust-root rotation then needs a
sigstore upgrade). Each attestation must bind the uploaded file (its filename and sha256 are
the statement's subject) and carry a Fulcio certificate from the production CA; a feed that
requires given publishers also checks the certificate's source repository. The messages are
Warehouse's (``forklift/legacy.py``), which twine shows.

Importing this module adds about 12 MB to a gateway process (pypi-attestations, sigstore,
rekor types, requests): the gateway imports it on the first upload that carries attestations
(pypi/provenance.py), not at start (issue 13).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from pypi_attestations import (
    Attestation,
    AttestationBundle,
    AttestationError,
    Distribution,
    GitHubPublisher,
    GitLabPublisher,
    Provenance,
    Publisher,
)
from sigstore.verify import policy

from packyard.protocol.attestation_errors import InvalidAttestations

ISSUER_OID = "1.3.6.1.4.1.57264.1.8"
SOURCE_REPOSITORY_OID = "1.3.6.1.4.1.57264.1.12"
BUILD_CONFIG_OID = "1.3.6.1.4.1.57264.1.18"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITLAB_ISSUER = "https://gitlab.com"
MAX_ATTESTATIONS = 2  # one per predicate type: publish and SLSA provenance
INVALID = "Invalid attestations supplied during upload: "
UNVERIFIED = "Could not verify the uploaded artifact using the included attestation: "


@dataclass(frozen=True, slots=True)
class VerifiedProvenance:
    provenance: bytes  # PEP 740 provenance object (JSON), as served at the provenance URL
    repositories: tuple[str, ...]  # source repository URI of each attestation's certificate


def parse_attestations(field: str) -> list[Attestation]:
    """The ``attestations`` form field: a JSON array of PEP 740 attestation objects."""
    try:
        raw = json.loads(field)
    except ValueError as exc:
        raise InvalidAttestations(f"{INVALID}not a JSON array") from exc
    if not isinstance(raw, list) or not raw:
        raise InvalidAttestations(f"{INVALID}expected a non-empty JSON array")
    if len(raw) > MAX_ATTESTATIONS:
        raise InvalidAttestations(f"{INVALID}at most {MAX_ATTESTATIONS} attestations per file")
    try:
        return [Attestation.model_validate(item) for item in raw]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidAttestations(f"{INVALID}{where}: {first.get('msg', 'invalid')}") from None


def verify_attestations(
    field: str, filename: str, sha256: str, required_repositories: Sequence[str] = ()
) -> VerifiedProvenance:
    """Verify every attestation against the file; the provenance to store, or refuse."""
    attestations = parse_attestations(field)
    if required_repositories:
        identity: policy.VerificationPolicy = policy.AnyOf(
            [policy.OIDCSourceRepositoryURI(uri) for uri in required_repositories]
        )
    else:
        # Certificate chain, transparency log and subject binding are still verified.
        identity = policy.UnsafeNoOp()
    try:
        dist = Distribution(name=filename, digest=sha256)
    except ValidationError as exc:
        raise InvalidAttestations(f"{INVALID}cannot attest {filename!r}") from exc
    seen: set[str] = set()
    publishers: list[Publisher] = []
    repositories: list[str] = []
    for attestation in attestations:
        try:
            predicate_type, _ = attestation.verify(identity, dist, offline=True)
        except AttestationError as exc:
            raise InvalidAttestations(f"{UNVERIFIED}{exc}") from None
        if predicate_type in seen:
            raise InvalidAttestations(f"{INVALID}more than one attestation of {predicate_type}")
        seen.add(predicate_type)
        claims = attestation.certificate_claims
        publishers.append(_publisher(claims))
        repositories.append(claims.get(SOURCE_REPOSITORY_OID, ""))
    # One bundle per publisher, as PyPI's provenance objects group them.
    bundle = AttestationBundle(publisher=publishers[0], attestations=attestations)
    provenance = Provenance(attestation_bundles=[bundle])
    return VerifiedProvenance(
        provenance.model_dump_json(by_alias=True).encode(), tuple(repositories)
    )


def _publisher(claims: dict[str, str]) -> Publisher:
    issuer = claims.get(ISSUER_OID, "")
    repository_url = claims.get(SOURCE_REPOSITORY_OID, "")
    build_config = claims.get(BUILD_CONFIG_OID, "")
    # The build config URI is "<repository URL>/<workflow path>@<ref>".
    workflow_path = build_config.removeprefix(repository_url).lstrip("/").split("@", 1)[0]
    if issuer == GITHUB_ISSUER:
        repository = repository_url.removeprefix("https://github.com/")
        workflow = workflow_path.removeprefix(".github/workflows/")
        return GitHubPublisher(repository=repository, workflow=workflow)
    if issuer == GITLAB_ISSUER:
        repository = repository_url.removeprefix("https://gitlab.com/")
        return GitLabPublisher(repository=repository, workflow_filepath=workflow_path)
    raise InvalidAttestations(f"{INVALID}unsupported publisher (certificate issuer {issuer!r})")
