"""OpenID Connect sign-in: what the web UI keeps and checks without talking to a provider.

The flow itself (oidc_flow.py: Authlib, joserfc) is imported by the sign-in pages on the
first OIDC sign-in, not at start: those libraries add about 2 MB to every gateway process,
and most gateways have no OIDC provider configured (issue 13).

The flow's ``begin`` reads the provider's discovery document and makes the authorization URL
with a fresh state, nonce and code verifier, which the browser keeps in a short-lived HttpOnly
cookie (``Pending``) until the provider sends it back to the callback. ``finish`` checks the
state, exchanges the code (with the verifier) for tokens, and checks the ID token: signature by
the provider's published keys, issuer, audience, expiry and nonce. The user's name is its
``preferred_username`` (else ``sub``); its groups are the configured claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from packyard.gateway.auth.sign_in_settings import SignInSettings

PENDING_COOKIE = "packyard_oidc"
PENDING_SECONDS = 600
SIGN_IN_FAILED = "The sign-in with your organisation's account did not succeed; try again."
MAX_GROUPS = 200


@dataclass(frozen=True)
class Pending:
    """What the callback must see again: kept by the browser, compared, then dropped."""

    state: str
    nonce: str
    verifier: str
    next_path: str

    def encode(self) -> str:
        return " ".join((self.state, self.nonce, self.verifier, self.next_path))

    @classmethod
    def decode(cls, value: str) -> Pending | None:
        parts = value.split(" ")
        if len(parts) != 4 or not all(parts[:3]):
            return None
        return cls(*parts)


@dataclass(frozen=True)
class OidcUser:
    name: str
    groups: list[str]


def enabled(settings: SignInSettings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def groups_of(claims: dict[str, Any], claim: str) -> list[str]:
    value = claims.get(claim, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return sorted({str(g) for g in value if isinstance(g, str | int)})[:MAX_GROUPS]
