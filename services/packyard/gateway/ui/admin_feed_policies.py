"""Admin forms of one feed's policies: retention rules, promotion policy, supply-chain policy.

Each form replaces the whole setting, as the admin API's PUT does; an empty number field means
"no such rule" and a list field takes names separated by commas or spaces.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from packyard.gateway.admin import advisories as advisories_api
from packyard.gateway.admin import governance as governance_api
from packyard.gateway.auth.credentials import Right
from packyard.gateway.auth.guards import require_feed_right
from packyard.gateway.deps import BackendsDep
from packyard.gateway.ui.admin_forms import AdminRoute, back_to, body_of, posted_form
from packyard.gateway.ui.render import path_part

router = APIRouter(route_class=AdminRoute)
RETENTION_FIELDS = ("keep_latest", "prerelease_max_age_days", "cached_max_age_days", "quota_bytes")


def listed(text: str) -> list[str]:
    """Names typed into one field, separated by commas, spaces or new lines."""
    return [part for part in re.split(r"[,\s]+", text) if part]


def back_to_feed(feed: str, notice: str, anchor: str) -> Response:
    """Back to the feed's admin page, at the form's section, with a notice."""
    return back_to(f"/admin/feeds/{path_part(feed)}", notice, anchor)


@router.post("/admin/feeds/{feed}/retention", include_in_schema=False)
async def set_retention(feed: str, request: Request, backends: BackendsDep) -> Response:
    fields = await posted_form(request)
    caller = await require_feed_right(request, feed, Right.ADMIN)
    values = {name: fields.get(name, "").strip() or None for name in RETENTION_FIELDS}
    body = body_of(governance_api.RetentionRulesBody, **values)
    await governance_api.set_retention(feed, body, caller, backends)
    return back_to_feed(feed, f"Retention rules of '{feed}' saved.", "retention")


@router.post("/admin/feeds/{feed}/promotion-policy", include_in_schema=False)
async def set_promotion_policy(feed: str, request: Request, backends: BackendsDep) -> Response:
    fields = await posted_form(request)
    caller = await require_feed_right(request, feed, Right.ADMIN)
    body = body_of(
        governance_api.PolicyBody, allowed_sources=listed(fields.get("allowed_sources", ""))
    )
    await governance_api.set_policy(feed, body, caller, backends)
    return back_to_feed(feed, f"Promotion policy of '{feed}' saved.", "promotion")


@router.post("/admin/feeds/{feed}/supply-policy", include_in_schema=False)
async def set_supply_policy(feed: str, request: Request, backends: BackendsDep) -> Response:
    fields = await posted_form(request)
    caller = await require_feed_right(request, feed, Right.ADMIN)
    # The form does not show trusted publishers (provenance): they are kept as they are.
    current = await advisories_api.get_policy(feed, caller, backends)
    body = body_of(
        advisories_api.PolicyBody,
        vulnerabilities=fields.get("vulnerabilities", "ignore"),
        licenses=fields.get("licenses", "ignore"),
        license_allow=listed(fields.get("license_allow", "")),
        license_deny=listed(fields.get("license_deny", "")),
        unknown_license=fields.get("unknown_license", "ignore"),
        provenance_publishers=current.provenance_publishers,
    )
    await advisories_api.set_policy(feed, body, request, caller, backends)
    return back_to_feed(feed, f"Supply-chain policy of '{feed}' saved.", "supply")
