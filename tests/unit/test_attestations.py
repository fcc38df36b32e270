"""PEP 740 attestation verification (issue 17 item 3) on real attestations signed with
Sigstore's production instance: valid, tampered, for another file, wrong publisher."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from packyard.protocol.attestations import (
    InvalidAttestations,
    verify_attestations,
)

ASSETS = Path(__file__).parent.parent / "fixtures" / "attestations"
GITLAB = "gitlab_oidc_project-0.0.3.tar.gz"
GITHUB = "pypi_attestations-0.0.19.tar.gz"


def _field(dist: str) -> str:
    attestation = json.loads((ASSETS / f"{dist}.publish.attestation").read_bytes())
    return json.dumps([attestation])


def _sha256(dist: str) -> str:
    return hashlib.sha256((ASSETS / dist).read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("dist", "repository", "publisher"),
    [
        (GITLAB, "https://gitlab.com/facutuesca/gitlab-oidc-project",
         {"kind": "GitLab", "repository": "facutuesca/gitlab-oidc-project",
          "workflow_filepath": ".gitlab-ci.yml", "environment": None}),
        (GITHUB, "https://github.com/trailofbits/pypi-attestations",
         {"kind": "GitHub", "repository": "trailofbits/pypi-attestations",
          "workflow": "release.yml", "environment": None}),
    ],
)  # fmt: skip
def test_real_attestations_verify_offline(
    dist: str, repository: str, publisher: dict[str, object]
) -> None:
    verified = verify_attestations(_field(dist), dist, _sha256(dist))
    assert verified.repositories == (repository,)
    provenance = json.loads(verified.provenance)
    assert provenance["version"] == 1
    [bundle] = provenance["attestation_bundles"]
    assert bundle["publisher"] == publisher
    assert len(bundle["attestations"]) == 1


def test_a_required_publisher_that_matches_is_accepted() -> None:
    required = ["https://github.com/other/repo", "https://github.com/trailofbits/pypi-attestations"]
    verify_attestations(_field(GITHUB), GITHUB, _sha256(GITHUB), required)


def test_wrong_publisher_is_refused() -> None:
    with pytest.raises(InvalidAttestations) as info:
        verify_attestations(
            _field(GITHUB), GITHUB, _sha256(GITHUB), ["https://github.com/pypi/pypi-attestations"]
        )
    assert info.value.message.startswith(
        "Could not verify the uploaded artifact using the included attestation: "
    )


def test_tampered_file_is_refused() -> None:
    tampered = hashlib.sha256((ASSETS / GITHUB).read_bytes() + b"\0").hexdigest()
    with pytest.raises(InvalidAttestations, match="subject does not match distribution digest"):
        verify_attestations(_field(GITHUB), GITHUB, tampered)


def test_attestation_of_another_file_is_refused() -> None:
    with pytest.raises(InvalidAttestations, match="subject does not match distribution name"):
        verify_attestations(_field(GITLAB), "gitlab_oidc_project-0.0.4.tar.gz", _sha256(GITLAB))


def test_tampered_signature_is_refused() -> None:
    attestation = json.loads((ASSETS / f"{GITHUB}.publish.attestation").read_bytes())
    signature = bytearray(attestation["envelope"]["signature"].encode())
    signature[10] = ord("A") if signature[10] != ord("A") else ord("B")
    attestation["envelope"]["signature"] = signature.decode()
    with pytest.raises(InvalidAttestations, match=r"^Could not verify"):
        verify_attestations(json.dumps([attestation]), GITHUB, _sha256(GITHUB))


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        ("not json", "not a JSON array"),
        ("[]", "expected a non-empty JSON array"),
        ('[{"version": 1}]', "Invalid attestations supplied during upload: "),
    ],
)
def test_malformed_fields_are_refused(field: str, reason: str) -> None:
    with pytest.raises(InvalidAttestations, match=reason):
        verify_attestations(field, GITHUB, _sha256(GITHUB))
