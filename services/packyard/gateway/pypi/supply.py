"""A feed's vulnerability policy applied to what it offers (issue 17).

- ignore: offered as is (the JSON API still lists known vulnerabilities, as PyPI's does);
- warn: offered, with ``X-Packyard-Vulnerabilities`` naming each affected version's advisories
  on the project's pages, and a badge in the web UI;
- block: each affected version's files are offered yanked (PEP 592) with a reason naming the
  advisories, and downloading them is refused (403). Yanked rather than left out: resolvers
  then never pick them, and pip pinned to one prints the reason before the refused download,
  so a user sees *why* instead of "no matching distribution".

An unexpired exception for an advisory (metadata service) takes it out of the decision. The
feed's policy is kept in the page cache next to its pages (a policy change drops the feed's
pages), so a feed that ignores advisories costs no extra call on its read path.
"""

from __future__ import annotations

from typing import Any

from packyard.common.errors import PackyardError, PermissionDenied
from packyard.gateway.backends import Backends
from packyard.gateway.page_cache import CachedPage, PageCache
from packyard.rpc.v1 import advisories_pb2, common_pb2, metadata_pb2

POLICY_VARIANT = "supply-policy"
WARNING_HEADER = "X-Packyard-Vulnerabilities"
_ACTION_NAMES = {
    advisories_pb2.POLICY_ACTION_WARN: b"warn",
    advisories_pb2.POLICY_ACTION_BLOCK: b"block",
}
_NAME_ACTIONS = {name: action for action, name in _ACTION_NAMES.items()}


async def feed_policy(backends: Backends, pages: PageCache | None, feed: str) -> int:
    """The feed's vulnerability action (``PolicyAction``); IGNORE when no service answers."""
    if backends.advisories is None:
        return advisories_pb2.POLICY_ACTION_IGNORE
    cached = pages is not None and pages.enabled
    if cached and pages is not None:
        hit = pages.get((feed, "", POLICY_VARIANT))
        if hit is not None:
            return _NAME_ACTIONS.get(hit.body, advisories_pb2.POLICY_ACTION_IGNORE)
        ticket = pages.ticket()
    reply = await backends.advisories.get_supply_policy(
        advisories_pb2.GetSupplyPolicyRequest(feed=feed)
    )
    action = reply.policy.vulnerabilities
    if cached and pages is not None:
        body = _ACTION_NAMES.get(action, b"ignore")
        pages.put((feed, "", POLICY_VARIANT), ticket, CachedPage(body, "text/plain"))
    return action


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


def block_reason(ids: list[str]) -> str:
    return "Blocked by the feed's policy: known vulnerability " + ", ".join(ids)


async def apply_policy(
    backends: Backends,
    pages: PageCache | None,
    project: metadata_pb2.Project,
    headers: dict[str, str],
) -> tuple[metadata_pb2.Project, dict[str, str]]:
    """The project as the feed's policy offers it, and the headers to add."""
    action = await feed_policy(backends, pages, project.feed)
    if action not in (advisories_pb2.POLICY_ACTION_WARN, advisories_pb2.POLICY_ACTION_BLOCK):
        return project, headers
    reply = await check_versions(backends, project.feed, project.name, list(project.versions))
    affected = {found.version: _enforced(found) for found in reply.versions}
    affected = {version: ids for version, ids in affected.items() if ids}
    if not affected:
        return project, headers
    if action == advisories_pb2.POLICY_ACTION_WARN:
        shown = "; ".join(f"{v}: {' '.join(ids)}" for v, ids in sorted(affected.items()))
        return project, {**headers, WARNING_HEADER: shown}
    offered = metadata_pb2.Project()
    offered.CopyFrom(project)
    for info in offered.files:
        ids = affected.get(info.version)
        if ids:
            info.yanked = True
            info.yanked_reason = block_reason(ids)
    return offered, headers


async def check_download(
    backends: Backends, pages: PageCache | None, feed: str, info: common_pb2.FileInfo
) -> None:
    """Refuse (403) a file of a version the feed's block policy holds back."""
    if await feed_policy(backends, pages, feed) != advisories_pb2.POLICY_ACTION_BLOCK:
        return
    reply = await check_versions(backends, feed, info.project, [info.version])
    for found in reply.versions:
        ids = _enforced(found)
        if ids:
            raise PermissionDenied(f"'{info.filename}': {block_reason(ids)}.")


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
