"""The OpenID Connect authorization code flow with PKCE (S256), with Authlib and joserfc.

Imported on first use by the sign-in pages (see oidc.py): these libraries add about 2 MB
to a gateway process.
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from packyard.common.errors import Unauthenticated
from packyard.gateway.auth.oidc import SIGN_IN_FAILED, OidcUser, Pending, groups_of
from packyard.gateway.auth.sign_in_settings import SignInSettings

log = logging.getLogger(__name__)

_TIMEOUT = 10.0


async def _discover(settings: SignInSettings) -> dict[str, Any]:
    url = settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"
    async with httpx.AsyncClient(timeout=_TIMEOUT) as client:
        reply = await client.get(url)
        reply.raise_for_status()
        found: dict[str, Any] = reply.json()
    return found


def _client(settings: SignInSettings, redirect_uri: str) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret or None,
        scope="openid profile email",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=_TIMEOUT,
    )


async def begin(settings: SignInSettings, redirect_uri: str, next_path: str) -> tuple[str, Pending]:
    """The provider's authorization URL to send the browser to, and what to keep meanwhile."""
    provider = await _discover(settings)
    pending = Pending(generate_token(32), generate_token(32), generate_token(64), next_path)
    async with _client(settings, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            provider["authorization_endpoint"],
            state=pending.state,
            nonce=pending.nonce,
            code_verifier=pending.verifier,
        )
    return url, pending


async def finish(
    settings: SignInSettings, redirect_uri: str, pending: Pending, state: str, code: str
) -> OidcUser:
    """The signed-in user; Unauthenticated for a wrong state, a refused code or a bad token."""
    if not code or not hmac.compare_digest(pending.state, state):
        raise Unauthenticated(SIGN_IN_FAILED)
    try:
        provider = await _discover(settings)
        async with _client(settings, redirect_uri) as client:
            tokens = await client.fetch_token(
                provider["token_endpoint"], code=code, code_verifier=pending.verifier
            )
            keys = (await client.get(provider["jwks_uri"])).json()
        token = jwt.decode(tokens["id_token"], KeySet.import_key_set(keys))
        jwt.JWTClaimsRegistry(
            now=int(time.time()),
            leeway=60,
            iss={"essential": True, "value": provider.get("issuer", settings.oidc_issuer)},
            aud={"essential": True, "value": settings.oidc_client_id},
            nonce={"essential": True, "value": pending.nonce},
            exp={"essential": True},
            sub={"essential": True},
        ).validate(token.claims)
    except (httpx.HTTPError, OAuthError, JoseError, KeyError, ValueError) as exc:
        log.warning("oidc.sign_in_failed", extra={"error": repr(exc)})
        raise Unauthenticated(SIGN_IN_FAILED) from exc
    claims = token.claims
    name = str(claims.get("preferred_username") or claims["sub"])
    return OidcUser(name=name, groups=groups_of(claims, settings.oidc_groups_claim))
