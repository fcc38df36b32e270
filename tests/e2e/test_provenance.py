"""PEP 740 provenance end to end (issue 17 item 3): twine --attestations with a real
attestation is verified, stored and served (provenance URL, simple API key); an attestation
of other bytes is a 400; a feed requiring given publishers refuses others and none."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import httpx
import pytest
from packyard.up import Stack

from tests.e2e.conftest import run, tool

ASSETS = Path(__file__).parent.parent / "fixtures" / "attestations"
GITLAB = "gitlab_oidc_project-0.0.3.tar.gz"
GITHUB = "pypi_attestations-0.0.19.tar.gz"
JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}


@pytest.fixture
def feed(stack: Stack) -> str:
    name = f"prov-{uuid.uuid4().hex[:8]}"
    reply = httpx.post(
        f"{stack.base_url}/api/v1/feeds", json={"name": name, "anonymous_read": True},
        auth=("api", str(stack.admin_key)), timeout=30,
    )  # fmt: skip
    assert reply.status_code < 300, reply.text
    return name


def _twine(stack: Stack, feed: str, dist: Path, env: dict[str, str]) -> str:
    done = run(
        [tool("twine"), "upload", "--verbose", "--disable-progress-bar", "--non-interactive",
         "--attestations", "--repository-url", stack.upload_url(feed),
         "-u", "api", "-p", str(stack.admin_key),
         # twine pairs each file with the "<file>.*.attestation" files given beside it.
         str(dist), f"{dist}.publish.attestation"],
        env,
    )  # fmt: skip
    return f"rc={done.returncode}\n{done.stdout}{done.stderr}"


def _copy(tmp_path: Path, dist: str, attestation_of: str | None = None) -> Path:
    shutil.copy(ASSETS / dist, tmp_path / dist)
    source = attestation_of or dist
    shutil.copy(ASSETS / f"{source}.publish.attestation", tmp_path / f"{dist}.publish.attestation")
    return tmp_path / dist


def test_twine_attestations_are_verified_stored_and_served(
    stack: Stack, feed: str, client_env: dict[str, str], tmp_path: Path
) -> None:
    dist = _copy(tmp_path, GITLAB)
    uploaded = _twine(stack, feed, dist, client_env)
    assert uploaded.startswith("rc=0"), uploaded

    page = httpx.get(f"{stack.index_url(feed)}gitlab-oidc-project/", headers=JSON).json()
    [listed] = page["files"]
    assert listed["provenance"] == (
        f"../../integrity/gitlab-oidc-project/0.0.3/{GITLAB}/provenance"
    )
    url = f"{stack.index_url(feed)}gitlab-oidc-project/{listed['provenance']}"
    served = httpx.get(str(httpx.URL(url)))
    assert served.status_code == 200, served.text
    [bundle] = served.json()["attestation_bundles"]
    assert bundle["publisher"]["kind"] == "GitLab"
    assert bundle["publisher"]["repository"] == "facutuesca/gitlab-oidc-project"
    sent = json.loads((ASSETS / f"{GITLAB}.publish.attestation").read_bytes())
    assert bundle["attestations"][0]["envelope"] == sent["envelope"]


def test_an_attestation_of_other_bytes_is_refused(
    stack: Stack, feed: str, client_env: dict[str, str], tmp_path: Path
) -> None:
    dist = _copy(tmp_path, GITHUB, attestation_of=GITLAB)
    refused = _twine(stack, feed, dist, client_env)
    assert refused.startswith("rc=1"), refused
    assert "Could not verify the uploaded artifact using the included attestation" in refused
    assert httpx.get(f"{stack.index_url(feed)}pypi-attestations/").status_code == 404


def test_a_feed_requiring_a_publisher_refuses_others_and_none(
    stack: Stack, feed: str, client_env: dict[str, str], tmp_path: Path
) -> None:
    reply = httpx.put(
        f"{stack.base_url}/api/v1/feeds/{feed}/supply-policy",
        json={"provenance_publishers": ["https://github.com/trailofbits/pypi-attestations"]},
        auth=("api", str(stack.admin_key)),
    )  # fmt: skip
    assert reply.status_code == 200, reply.text
    # A valid attestation, but from GitLab: not a publisher this feed accepts.
    other = _twine(stack, feed, _copy(tmp_path, GITLAB), client_env)
    assert other.startswith("rc=1") and "Could not verify" in other, other
    # No attestation at all.
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(ASSETS / GITHUB, bare / GITHUB)
    missing = run(
        [tool("twine"), "upload", "--verbose", "--disable-progress-bar", "--non-interactive",
         "--repository-url", stack.upload_url(feed), "-u", "api", "-p", str(stack.admin_key),
         str(bare / GITHUB)],
        client_env,
    )  # fmt: skip
    assert missing.returncode == 1
    assert "requires PEP 740 attestations" in missing.stdout + missing.stderr
    # The required publisher's attestation is accepted.
    accepted = _twine(stack, feed, _copy(tmp_path, GITHUB), client_env)
    assert accepted.startswith("rc=0"), accepted
