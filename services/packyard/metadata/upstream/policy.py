"""Origin controls: may a project take upstream files, may it be published locally?

The defaults follow CodeArtifact's package origin controls (RELIABILITY §2): how a name first
arrived decides. A name with hosted files never takes upstream files (a public "acme-utils
99.0" cannot shadow the private one), a name first pulled from upstream cannot be uploaded
locally (nobody can slip a private "requests" in), and reserved prefixes never reach an
upstream at all (not even the lookup, which would leak the private name). Explicit per-project
settings override the defaults; the feed may allow merging for every hosted project.
"""

from __future__ import annotations

from packyard.metadata.upstream.models import FeedOrigin, OriginPolicy, ProjectOrigin


def reserved_prefix(project: str, feed: FeedOrigin) -> str | None:
    return next((p for p in feed.reserved_prefixes if project.startswith(p)), None)


def publish_refusal(project: str, origin: ProjectOrigin) -> str:
    """Why a local upload of ``project`` is refused, or "" when it may be published. The
    metadata service applies this under the project lock too, so a name first pulled from
    upstream while an upload was on its way still refuses it."""
    if origin.allow_publish is False:
        return f"Publishing '{project}' is blocked for this feed."
    if origin.first_origin == "upstream" and origin.allow_publish is not True:
        return f"Publishing '{project}' is blocked: project is mirrored from upstream."
    return ""


def decide(
    project: str, *, has_hosted: bool, origin: ProjectOrigin, feed: FeedOrigin
) -> OriginPolicy:
    merge = origin.allow_upstream is True or (feed.merge_upstream and origin.allow_upstream is None)
    prefix = reserved_prefix(project, feed)
    upstream_reason = ""
    if origin.allow_upstream is False:
        upstream_reason = f"Upstream lookups are blocked for '{project}'."
    elif prefix is not None and origin.allow_upstream is not True:
        upstream_reason = f"'{project}' has the reserved prefix '{prefix}'."
    elif has_hosted and not merge:
        upstream_reason = f"'{project}' has hosted files; upstream files are not merged."

    first_from_upstream = origin.first_origin == "upstream"
    publish_reason = publish_refusal(project, origin)
    return OriginPolicy(
        upstream_allowed=not upstream_reason,
        merge_with_hosted=merge,
        publish_allowed=not publish_reason,
        upstream_reason=upstream_reason,
        publish_reason=publish_reason,
        has_hosted=has_hosted,
        first_from_upstream=first_from_upstream,
    )
