"""Cross-site request forgery defence for the UI's POST forms.

Browsers send cached HTTP Basic credentials (and, on same-site requests, the session cookie)
with a request to this origin, including a form another site submits. So a form must carry a
token that only a page of ours could have shown, and a browser that says where the request
comes from (Origin, Sec-Fetch-Site) must say "here". The token is an HMAC keyed by a digest of
the caller's own credentials (the Basic header, else the session token): no server secret to
manage, different for every credential (a new one at each sign-in), unknown to another site.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import Request

from packyard.common.errors import PermissionDenied
from packyard.gateway.auth.session_cookie import session_token

_PURPOSE = b"packyard-ui-form-v1"
FORGED = "This form did not come from this site; reload the page and try again."


def form_token(request: Request) -> str:
    """The token forms of this caller carry; "" for a caller without credentials."""
    credential = request.headers.get("authorization", "") or session_token(request)
    if not credential:
        return ""
    key = hashlib.sha256(credential.encode()).digest()
    return hmac.new(key, _PURPOSE, hashlib.sha256).hexdigest()


def check_origin(request: Request) -> None:
    """PermissionDenied when the browser says the request comes from another site (the
    sign-in form's only check: before sign-in there is no credential to key a token)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise PermissionDenied(FORGED)
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise PermissionDenied(FORGED)


def check_same_origin(request: Request, token: str) -> None:
    """PermissionDenied unless the form came from one of our pages."""
    check_origin(request)
    expected = form_token(request)
    if not expected or not hmac.compare_digest(expected, token):
        raise PermissionDenied(FORGED)
