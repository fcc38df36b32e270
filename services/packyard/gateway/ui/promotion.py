"""The release page's "Promote" form: copy the release shown into another feed.

The admin API's rule (publish on the target; the metadata service checks the source's read
right and the target's policy) and the CSRF check of every UI form (gateway/ui/csrf.py).
Success redirects (303) to the release in the target feed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from packyard_rpc.v1 import common_pb2, metadata_pb2

from packyard.common.errors import InvalidArgument
from packyard.common.rights import may_promote_into
from packyard.gateway.auth.guards import require_principal
from packyard.gateway.backends import Backends
from packyard.gateway.deps import AuthDep, BackendsDep
from packyard.gateway.promotion import promote_release
from packyard.gateway.ui.csrf import check_same_origin
from packyard.gateway.ui.render import path_part
from packyard.gateway.ui.routing import HtmlRoute
from packyard.protocol.names import normalize

router = APIRouter(route_class=HtmlRoute)


def promote_targets(
    principal: common_pb2.Principal | None, feed: str, feeds: list[str]
) -> list[str]:
    """The feeds of ``feeds`` other than ``feed`` the principal may promote into (promote or
    publish right; the button is shown only when there is one)."""
    return [name for name in feeds if name != feed and may_promote_into(principal, name)]


async def targets_for(
    backends: Backends, principal: common_pb2.Principal | None, feed: str
) -> list[str]:
    """Where the release page's form may promote to; no call for those who may promote
    nowhere."""
    if principal is None or not (
        principal.is_admin or principal.publish_feeds or principal.promote_feeds
    ):
        return []
    reply = await backends.metadata.list_feeds(metadata_pb2.ListFeedsRequest())
    return promote_targets(principal, feed, [f.name for f in reply.feeds])


@router.post("/feeds/{feed}/projects/{project}/{version}/promote", include_in_schema=False)
async def promote(
    feed: str, project: str, version: str, request: Request, backends: BackendsDep,
    auth: AuthDep,
) -> Response:  # fmt: skip
    await require_principal(request)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    check_same_origin(request, fields.get("csrf", ""))
    target = fields.get("target", "").strip()
    if not target:
        raise InvalidArgument("Choose the feed to promote to.")
    name = normalize(project)
    await promote_release(request, backends, auth, feed, name, version, target)
    return RedirectResponse(
        f"/feeds/{path_part(target)}/projects/{path_part(name)}/{path_part(version)}/", 303
    )
