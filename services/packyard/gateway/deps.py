"""Request-scoped access to what the lifespan opened (routes read it through these aliases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from packyard.gateway.auth.authenticator import Authenticator
from packyard.gateway.backends import Backends
from packyard.gateway.settings import GatewaySettings


def _backends(request: Request) -> Backends:
    return request.state.backends  # type: ignore[no-any-return]


def _auth(request: Request) -> Authenticator:
    return request.state.auth  # type: ignore[no-any-return]


def _settings(request: Request) -> GatewaySettings:
    return request.state.settings  # type: ignore[no-any-return]


BackendsDep = Annotated[Backends, Depends(_backends)]
AuthDep = Annotated[Authenticator, Depends(_auth)]
SettingsDep = Annotated[GatewaySettings, Depends(_settings)]
