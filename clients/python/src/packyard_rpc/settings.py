"""Where and as whom a client connects: arguments first, then PACKYARD_RPC_* variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_PREFIX = "PACKYARD_RPC_"
DEFAULT_TARGET = "127.0.0.1:50051"
# Long enough for a search over a large feed, short enough that a caller whose server hangs
# learns it within seconds instead of waiting forever (gRPC's own default is no deadline).
DEFAULT_TIMEOUT = 10.0


class SettingsError(ValueError):
    """A required setting is missing or a file cannot be read."""


@dataclass(frozen=True)
class Settings:
    """Everything a channel needs. ``target`` is a gRPC name: ``host:port``, or
    ``dns:///packyard-metadata-headless:50051`` to balance over every replica."""

    target: str
    ca: bytes
    cert: bytes
    key: bytes
    api_key: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    server_name: str | None = None

    @classmethod
    def resolve(
        cls,
        target: str | None = None,
        *,
        api_key: str | None = None,
        ca: str | Path | None = None,
        cert: str | Path | None = None,
        key: str | Path | None = None,
        timeout: float | None = None,
        server_name: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Settings:
        """Each argument left out is read from ``PACKYARD_RPC_<NAME>`` (TARGET, API_KEY, CA,
        CERT, KEY, TIMEOUT, SERVER_NAME). Packyard serves mutual TLS only, so CA, CERT and
        KEY (PEM files, e.g. from ``packyard certs --identity client:NAME``) are required."""
        env = os.environ if env is None else env

        def pick(value: object, name: str) -> str | None:
            if value is not None:
                return str(value)
            return env.get(ENV_PREFIX + name) or None

        files = {}
        for name, value in (("CA", ca), ("CERT", cert), ("KEY", key)):
            path = pick(value, name)
            if path is None:
                raise SettingsError(
                    f"no {name.lower()} file: pass {name.lower()}= or set {ENV_PREFIX}{name}"
                )
            try:
                files[name] = Path(path).read_bytes()
            except OSError as exc:
                raise SettingsError(f"cannot read the {name.lower()} file {path}: {exc}") from exc
        seconds = pick(timeout, "TIMEOUT")
        return cls(
            target=pick(target, "TARGET") or DEFAULT_TARGET,
            ca=files["CA"],
            cert=files["CERT"],
            key=files["KEY"],
            api_key=pick(api_key, "API_KEY"),
            timeout=float(seconds) if seconds is not None else DEFAULT_TIMEOUT,
            server_name=pick(server_name, "SERVER_NAME"),
        )
