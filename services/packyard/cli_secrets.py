"""`packyard secrets genkey | rotate`: the key that encrypts secrets at rest.

Rotation: ``PACKYARD_SECRET_KEY=NEW,OLD`` on every metadata replica (restart them: both keys
decrypt, the new one encrypts), then ``PACKYARD_SECRET_KEY=NEW,OLD PACKYARD_DATABASE_URL=…
packyard secrets rotate`` reseals every stored secret (connector credentials, webhook
secrets) with NEW, then ``PACKYARD_SECRET_KEY=NEW`` everywhere.
"""

from __future__ import annotations

import argparse
import logging
import sys

log = logging.getLogger(__name__)


def add_secrets_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    secrets = commands.add_parser(
        "secrets", help="PACKYARD_SECRET_KEY: generate a key, re-encrypt stored secrets"
    )
    actions = secrets.add_subparsers(dest="secrets_action", required=True, metavar="ACTION")
    actions.add_parser("genkey", help="print a new key for PACKYARD_SECRET_KEY")
    actions.add_parser(
        "rotate",
        help="re-encrypt every stored secret with the first key of PACKYARD_SECRET_KEY "
        "(the others still decrypt)",
    )


def run_secrets(args: argparse.Namespace) -> int:
    # Imported here, as cli.py imports each command's code: every `packyard` command (the
    # services, migrate) imports this module, and none of them should load grpc or asyncpg
    # through it.
    import asyncio

    import asyncpg

    from packyard.metadata.secret_keys import SecretKeyError, SecretKeys, generate_key
    from packyard.metadata.settings import load_settings
    from packyard.metadata.upstream.credentials import seal_stored
    from packyard.metadata.webhooks.secrets import reseal_webhook_secrets

    async def rotate(database_url: str, keys: SecretKeys) -> int:
        conn = await asyncpg.connect(database_url)
        try:
            # One transaction: a secret no key opens leaves every row as it was.
            async with conn.transaction():
                credentials = await seal_stored(conn, keys, rotate=True)
                return credentials + await reseal_webhook_secrets(conn, keys)
        finally:
            await conn.close()

    if args.secrets_action == "genkey":
        print(generate_key())
        return 0
    settings = load_settings("secrets", log)
    if settings is None:
        return 2
    keys = SecretKeys.from_setting(
        settings.secret_key.get_secret_value() if settings.secret_key else None
    )
    if not keys.configured:
        print("error: PACKYARD_SECRET_KEY is not set", file=sys.stderr)
        return 2
    try:
        rewritten = asyncio.run(rotate(settings.database_url.get_secret_value(), keys))
    except SecretKeyError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"re-encrypted {rewritten} stored secret(s) with the newest key")
    return 0
