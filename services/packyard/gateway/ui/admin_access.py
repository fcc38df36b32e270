"""Who sees the admin pages: the same rights the admin API asks (gateway/auth/guards.py).

A global administrator sees every page; a feed administrator sees the feeds, keys and audit
pages for its own feeds; anyone else sees no admin link and gets 403 from every admin page.
"""

from __future__ import annotations

from packyard_rpc.v1 import common_pb2


def may_see_admin(principal: common_pb2.Principal | None) -> bool:
    return principal is not None and (principal.is_admin or bool(principal.admin_feeds))
