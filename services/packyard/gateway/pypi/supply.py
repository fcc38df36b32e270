"""A feed's supply-chain policy applied to what it offers (issue 17): known vulnerabilities,
and licenses (``protocol/licenses.py``: denied, or unknown), each with its own action.

- ignore: offered as is (the JSON API still lists known vulnerabilities, as PyPI's does);
- warn: offered, with ``X-Packyard-Vulnerabilities`` naming each affected version's advisories
  on the project's pages, and a badge in the web UI;
- block: each affected version's files are offered yanked (PEP 592) with a reason naming the
  advisories, and downloading them is refused (403). Yanked rather than left out: resolvers
  then never pick them, and pip pinned to one prints the reason before the refused download,
  so a user sees *why* instead of "no matching distribution". License decisions warn with
``X-Packyard-License-Policy`` and block the same way.

An unexpired exception for an advisory (metadata service) takes it out of the decision. The
feed's policy is kept in the page cache next to its pages (a policy change drops the feed's
pages), so a feed that ignores advisories costs no extra call on its read path.
"""

from __future__ import annotations

from typing import Any

from packyard_rpc.v1 import advisories_pb2, common_pb2, metadata_pb2

from packyard.common.errors import PackyardError, PermissionDenied
from packyard.gateway.backends import Backends
from packyard.gateway.clients.calls import if_found
from packyard.gateway.page_cache import CachedPage, PageCache
from packyard.protocol.licenses import Verdict, license_verdict, release_license

POLICY_VARIANT = "supply-policy"
_POLICY_TYPE = "application/x-protobuf"
WARNING_HEADER = "X-Packyard-Vulnerabilities"
LICENSE_HEADER = "X-Packyard-License-Policy"
_ENFORCED = (advisories_pb2.POLICY_ACTION_WARN, advisories_pb2.POLICY_ACTION_BLOCK)


async def feed_policy(
    backends: Backends, pages: PageCache | None, feed: str
) -> advisories_pb2.SupplyPolicy:
    """The feed's supply-chain policy (everything IGNORE when no service answers)."""
    if backends.advisories is None:
        return advisories_pb2.SupplyPolicy(feed=feed)
    advisories = backends.advisories

    async def load() -> CachedPage:
        reply = await advisories.get_supply_policy(advisories_pb2.GetSupplyPolicyRequest(feed=feed))
        policy = reply.policy.SerializeToString(deterministic=True)
        return CachedPage(policy, _POLICY_TYPE, renewable=True)

    # Through the page cache: concurrent downloads that miss share one call (page_cache.py).
    kept = await (pages.load((feed, "", POLICY_VARIANT), load) if pages is not None else load())
    return advisories_pb2.SupplyPolicy.FromString(kept.body)


async def check_versions(
    backends: Backends, feed: str, project: str, versions: list[str]
) -> advisories_pb2.CheckProjectResponse:
    if backends.advisories is None or not versions:
        return advisories_pb2.CheckProjectResponse()
    return await backends.advisories.check_project(
        advisories_pb2.CheckProjectRequest(feed=feed, project=project, versions=versions)
    )


def _enforced(found: advisories_pb2.VersionVulnerabilities) -> list[str]:
    return [v.id for v in found.vulnerabilities if not v.excepted]


def vulnerability_reason(ids: list[str]) -> str:
    return "known vulnerability " + ", ".join(ids)


async def apply_policy(
    backends: Backends,
    pages: PageCache | None,
    project: metadata_pb2.Project,
    headers: dict[str, str],
) -> tuple[metadata_pb2.Project, dict[str, str]]:
    """The project as the feed's policy offers it, and the headers to add."""
    policy = await feed_policy(backends, pages, project.feed)
    warned: dict[str, str] = {}
    blocked: dict[str, list[str]] = {}  # version -> reasons
    if policy.vulnerabilities in _ENFORCED:
        for version, ids in (await _affected(backends, project)).items():
            if policy.vulnerabilities == advisories_pb2.POLICY_ACTION_BLOCK:
                blocked.setdefault(version, []).append(vulnerability_reason(ids))
            else:
                warned[WARNING_HEADER] = _joined(warned.get(WARNING_HEADER), version, ids)
    for version, (action, reason) in license_decisions(policy, project).items():
        if action == advisories_pb2.POLICY_ACTION_BLOCK:
            blocked.setdefault(version, []).append(reason)
        else:
            warned[LICENSE_HEADER] = _joined(warned.get(LICENSE_HEADER), version, [reason])
    if not blocked:
        return project, {**headers, **warned}
    offered = metadata_pb2.Project()
    offered.CopyFrom(project)
    for info in offered.files:
        reasons = blocked.get(info.version)
        if reasons:
            info.yanked = True
            info.yanked_reason = "Blocked by the feed's policy: " + "; ".join(reasons)
    return offered, {**headers, **warned}


def _joined(previous: str | None, version: str, items: list[str]) -> str:
    entry = f"{version}: {' '.join(items)}"
    return f"{previous}; {entry}" if previous else entry


async def _affected(backends: Backends, project: metadata_pb2.Project) -> dict[str, list[str]]:
    reply = await check_versions(backends, project.feed, project.name, list(project.versions))
    affected = {found.version: _enforced(found) for found in reply.versions}
    return {version: ids for version, ids in sorted(affected.items()) if ids}


def license_decisions(
    policy: advisories_pb2.SupplyPolicy, project: metadata_pb2.Project
) -> dict[str, tuple[int, str]]:
    """Each version the license rules act on: (action, reason). A version without core
    metadata (an upstream file not fetched yet) is not assessed."""
    if policy.licenses not in _ENFORCED and policy.unknown_license not in _ENFORCED:
        return {}
    decided: dict[str, tuple[int, str]] = {}
    for version, meta in sorted(project.releases.items()):
        found = release_license(meta.license_expression or None, meta.classifiers, meta.license)
        verdict = license_verdict(found.expression, policy.license_allow, policy.license_deny)
        if verdict is Verdict.DENIED and policy.licenses in _ENFORCED:
            decided[version] = (policy.licenses, f"license {found.expression} is not allowed")
        elif verdict is Verdict.UNKNOWN and policy.unknown_license in _ENFORCED:
            decided[version] = (policy.unknown_license, "license unknown")
    return decided


async def check_download(
    backends: Backends, pages: PageCache | None, feed: str, info: common_pb2.FileInfo
) -> None:
    """Refuse (403) a file of a version the feed's block policy holds back."""
    policy = await feed_policy(backends, pages, feed)
    reasons = []
    if policy.vulnerabilities == advisories_pb2.POLICY_ACTION_BLOCK:
        reply = await check_versions(backends, feed, info.project, [info.version])
        reasons += [vulnerability_reason(ids) for f in reply.versions if (ids := _enforced(f))]
    blocks_licenses = advisories_pb2.POLICY_ACTION_BLOCK in (
        policy.licenses,
        policy.unknown_license,
    )
    if blocks_licenses:
        hosted = await if_found(
            backends.metadata.get_project(
                metadata_pb2.GetProjectRequest(feed=feed, project=info.project)
            )
        )
        if hosted is not None:
            decided = license_decisions(policy, hosted.project).get(info.version)
            if decided is not None and decided[0] == advisories_pb2.POLICY_ACTION_BLOCK:
                reasons.append(decided[1])
    if reasons:
        raise PermissionDenied(
            f"'{info.filename}': Blocked by the feed's policy: {'; '.join(reasons)}."
        )


async def vulnerabilities_by_version(
    backends: Backends, feed: str, project: str, versions: list[str]
) -> dict[str, list[advisories_pb2.Vulnerability]]:
    """Every known advisory of each version (the JSON API and the UI show all of them)."""
    try:
        reply = await check_versions(backends, feed, project, versions)
    except PackyardError:
        # The advisories are an addition to the page; their absence must not fail it.
        return {}
    return {found.version: list(found.vulnerabilities) for found in reply.versions}


def warehouse_vulnerability(vuln: advisories_pb2.Vulnerability) -> dict[str, Any]:
    """One entry of the JSON API's ``vulnerabilities``, in pypi.org's shape (withdrawn
    advisories are never stored as affecting anything, so ``withdrawn`` is always null)."""
    return {
        "aliases": list(vuln.aliases),
        "details": vuln.details,
        "fixed_in": list(vuln.fixed_in),
        "id": vuln.id,
        "link": vuln.link,
        "source": "osv",
        "summary": vuln.summary,
        "withdrawn": None,
    }
