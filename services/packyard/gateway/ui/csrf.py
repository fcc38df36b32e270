"""Cross-site request forgery defence for the UI's POST forms.

Browsers send cached HTTP Basic credentials with any request to this origin, including a form
another site submits. So a form must carry a token that only a page of ours could have shown,
and a browser that says where the request comes from (Origin, Sec-Fetch-Site) must say "here".
The token is an HMAC keyed by a digest of the caller's own credentials: no server secret to
manage, different for every credential, and unknown to another site.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import Request

from packyard.common.errors import PermissionDenied

_PURPOSE = b"packyard-ui-form-v1"
FORGED = "This form did not come from this site; reload the page and try again."


def form_token(request: Request) -> str:
    """The token forms of this caller carry; "" for a caller without credentials."""
    header = request.headers.get("authorization", "")
    if not header:
        return ""
    key = hashlib.sha256(header.encode()).digest()
    return hmac.new(key, _PURPOSE, hashlib.sha256).hexdigest()


def check_same_origin(request: Request, token: str) -> None:
    """PermissionDenied unless the form came from one of our pages."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise PermissionDenied(FORGED)
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise PermissionDenied(FORGED)
    expected = form_token(request)
    if not expected or not hmac.compare_digest(expected, token):
        raise PermissionDenied(FORGED)
