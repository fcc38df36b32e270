"""The `packyard` command: run the whole stack locally, one service, or the migrations."""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Sequence
from pathlib import Path

from packyard.cli_admin import add_admin_commands, is_admin_command, run_admin
from packyard.cli_certs import add_certs_command, run_certs
from packyard.cli_connector import add_connector_actions, is_connector_command, run_connector
from packyard.cli_governance import add_governance_commands, is_governance_command, run_governance
from packyard.cli_ops import add_ops_commands, is_ops_command, run_ops
from packyard.cli_secrets import add_secrets_command, run_secrets
from packyard.cli_supply import add_supply_commands, is_supply_command, run_supply

# Each service module reads its settings from PACKYARD_* variables and serves until SIGTERM.
_SERVICES = {
    "gateway": "the HTTP gateway (PEP 503/691 simple API, uploads, downloads)",
    "metadata": "the metadata gRPC service (PostgreSQL)",
    "blob": "the blob gRPC service (S3)",
    "connector": "the upstream connector gRPC service",
}


# Options of the admin commands that may also come before the command
# (`packyard --json --url URL feed list`); a value after the command wins.
_GLOBAL_OPTIONS = ("url", "key", "json")


def _global_options(parser: argparse.ArgumentParser) -> None:
    # Own destinations: a subcommand's defaults would otherwise overwrite these values.
    parser.add_argument(
        "--url", dest="global_url", help="Packyard base URL for admin commands ($PACKYARD_URL)"
    )
    parser.add_argument(
        "--key", dest="global_key", help="API key for admin commands ($PACKYARD_KEY)"
    )
    parser.add_argument(
        "--json", dest="global_json", action="store_true", help="admin commands print JSON"
    )


def apply_global_options(args: argparse.Namespace) -> None:
    for name in _GLOBAL_OPTIONS:
        given = getattr(args, f"global_{name}")
        if given and not getattr(args, name, None):
            setattr(args, name, given)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="packyard", description="A private Python package index.")
    _global_options(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser(
        "up",
        help="run everything locally: engines, migrations, services",
        description="Start PostgreSQL, NATS and S3 (unless PACKYARD_* URLs point elsewhere), "
        "migrate, start the four services, and stop them all on Ctrl-C.",
    )
    up.add_argument(
        "--data-dir",
        default=None,
        help="where engine data and logs live (default: $PACKYARD_DATA_DIR or ./packyard-data)",
    )
    up.add_argument("--host", default="127.0.0.1", help="gateway address (default: 127.0.0.1)")
    up.add_argument("--port", type=int, default=8080, help="gateway port (default: 8080)")

    status = commands.add_parser(
        "status",
        help="show the parts of a running `packyard up`: state, PID, restarts, uptime",
    )
    status.add_argument(
        "--data-dir",
        default=None,
        help="the data directory of that `packyard up` (default: $PACKYARD_DATA_DIR or "
        "./packyard-data)",
    )

    for name, summary in _SERVICES.items():
        help_text = f"run {summary}; settings from PACKYARD_* variables"
        if name == "connector":
            help_text = "`connector serve` runs the connector service; add|list|update|remove"
        service = commands.add_parser(name, help=help_text)
        if name == "connector":
            # `packyard connector serve|add|list|update|remove`; without an action, its help.
            add_connector_actions(service)
            service.set_defaults(connector_help=service.format_help)
    commands.add_parser("migrate", help="apply pending database migrations and exit")
    commands.add_parser("genkey", help="print a new random API key (e.g. for PACKYARD_ADMIN_KEY)")
    add_certs_command(commands)
    add_secrets_command(commands)
    add_admin_commands(commands)
    add_governance_commands(commands)  # `packyard promote | promotion | retention`
    add_ops_commands(commands)  # `packyard gc | backup | restore`
    add_supply_commands(commands)  # `packyard advisories …`, `packyard audit-deps`
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    apply_global_options(args)
    if args.command == "connector" and args.connector_action is None:
        print(args.connector_help(), end="")
        return 2
    if is_admin_command(args):
        return run_admin(args)
    if is_connector_command(args):
        return run_connector(args)
    if is_governance_command(args):
        return run_governance(args)
    if is_ops_command(args):
        return run_ops(args)
    if is_supply_command(args):
        return run_supply(args)
    # Import only what the command needs: a service must not pay for the others' imports.
    if args.command == "up":
        from packyard.up import run

        return run(data_dir=args.data_dir, host=args.host, port=args.port)
    if args.command == "certs":
        return run_certs(args)
    if args.command == "secrets":
        return run_secrets(args)
    if args.command == "status":
        from packyard.supervisor import status_command
        from packyard.up import DEFAULT_DATA_DIR

        directory = args.data_dir or os.environ.get("PACKYARD_DATA_DIR") or DEFAULT_DATA_DIR
        return status_command(Path(directory).resolve())
    if args.command == "migrate":
        from packyard.metadata.migrate import main as migrate_main

        return int(migrate_main())
    if args.command == "genkey":
        from packyard.metadata.access.keys import generate_key

        print(generate_key().key)
        return 0
    module = importlib.import_module(f"packyard.{args.command}.__main__")
    return int(module.main())


if __name__ == "__main__":
    raise SystemExit(main())
