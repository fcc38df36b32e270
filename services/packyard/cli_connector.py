"""`packyard connector add|list|remove|update`: a feed's upstream connectors over the admin API;
`packyard connector projects FEED [--origin hosted|upstream]`: what the feed offers, with where
each project comes from; `packyard connector health FEED`: how each connector's upstream answers.

``packyard connector serve`` runs the connector service (cli.py); without an action the
command lists its actions. Upstream
passwords are read from an environment variable (``--password-env VAR``), never from the
command line, and never printed: listings show only whether a connector has credentials.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any, TextIO
from urllib.parse import quote, urlencode

from packyard.cli_admin import (
    Api,
    CliError,
    connection_options,
    render_table,
    run_api_command,
)

SERVE = "serve"
COLUMNS = (
    "id", "priority", "url", "simple_path", "ttl_seconds", "include", "exclude", "file_hosts",
    "has_credentials", "name_list",
)  # fmt: skip


HEALTH_COLUMNS = (
    "connector", "state", "last_success", "last_error_at", "stale_since", "cached_files",
    "cached_bytes", "last_error",
)  # fmt: skip
PROJECT_COLUMNS = ("name", "origin", "connector", "version", "downloads", "summary")


def _settings(parser: argparse.ArgumentParser, *, adding: bool) -> None:
    parser.add_argument(
        "--simple-path",
        default="/simple" if adding else None,
        help='path of the simple index under the URL (default: /simple; "/" for an index '
        "served at the root, such as a PyTorch wheel index)",
    )
    parser.add_argument("--priority", type=int, default=100 if adding else None,
                        help="lower is consulted first (default: 100)")  # fmt: skip
    parser.add_argument("--ttl", type=int, default=1800 if adding else None, metavar="SECONDS",
                        help="how long a project listing stays fresh (default: 1800)")  # fmt: skip
    parser.add_argument("--username", default=None, help="upstream basic-auth user")
    parser.add_argument(
        "--password-env", default=None, metavar="VAR",
        help="environment variable holding the upstream password",
    )  # fmt: skip
    parser.add_argument("--include", action="append", default=None, metavar="PATTERN",
                        help="only names matching this fnmatch pattern (repeatable)")  # fmt: skip
    parser.add_argument("--exclude", action="append", default=None, metavar="PATTERN",
                        help="never names matching this pattern (repeatable)")  # fmt: skip
    parser.add_argument(
        "--file-host", action="append", default=None, metavar="URL", dest="file_hosts",
        help="another origin files may be downloaded from, e.g. https://files.pythonhosted.org",
    )  # fmt: skip
    parser.add_argument(
        "--name-list", action=argparse.BooleanOptionalAction, default=None,
        help="keep the upstream's project-name list so search finds names not used here yet",
    )  # fmt: skip
    parser.add_argument(
        "--python-version", dest="python_versions", action="append", default=None,
        metavar="X.Y", help="keep only files for this Python version (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--platform", dest="platforms", action="append", default=None, metavar="PATTERN",
        help="keep only wheels for platform tags matching this pattern, e.g. "
        "'manylinux*_x86_64' (repeatable; pure-Python wheels always)",
    )  # fmt: skip


def add_connector_actions(parser: argparse.ArgumentParser) -> None:
    """Add the admin actions to the existing `packyard connector` (service) parser."""
    common = connection_options()
    actions = parser.add_subparsers(dest="connector_action", metavar="ACTION")
    actions.add_parser(SERVE, help="run the connector gRPC service; settings from PACKYARD_*")
    add = actions.add_parser("add", parents=[common], help="add an upstream index to a feed")
    add.add_argument("feed")
    add.add_argument("upstream_url", metavar="URL")
    _settings(add, adding=True)
    listing = actions.add_parser("list", parents=[common], help="list a feed's connectors")
    listing.add_argument("feed")
    update = actions.add_parser("update", parents=[common], help="change a connector")
    update.add_argument("feed")
    update.add_argument("id")
    update.add_argument("--upstream-url", default=None, metavar="URL")
    _settings(update, adding=False)
    remove = actions.add_parser("remove", parents=[common], help="remove a connector")
    remove.add_argument("feed")
    remove.add_argument("id")
    health = actions.add_parser(
        "health", parents=[common], help="each connector's health and what it has cached"
    )
    health.add_argument("feed")
    projects = actions.add_parser(
        "projects", parents=[common], help="list a feed's projects: hosted and from upstream"
    )
    projects.add_argument("feed")
    projects.add_argument("--origin", choices=("hosted", "upstream"), default="")
    projects.add_argument(
        "--sort", choices=("name", "updated", "downloads", "origin"), default="name"
    )
    projects.add_argument("--page", type=int, default=1)


def is_connector_command(args: argparse.Namespace) -> bool:
    """An admin action (``serve`` and no action are the service's business, in cli.py)."""
    return getattr(args, "connector_action", None) not in (None, SERVE)


def _password(args: argparse.Namespace) -> str | None:
    if args.password_env is None:
        return None
    value = os.environ.get(args.password_env)
    if value is None:
        raise CliError(f"environment variable {args.password_env} is not set")
    return value


def _body(args: argparse.Namespace, *, adding: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "simple_path": args.simple_path,
        "priority": args.priority,
        "ttl_seconds": args.ttl,
        "include": args.include,
        "exclude": args.exclude,
        "file_hosts": args.file_hosts,
        "name_list": args.name_list,
        "python_versions": args.python_versions,
        "platforms": args.platforms,
    }
    password = _password(args)
    if args.username is not None or password is not None:
        if not args.username or password is None:
            raise CliError("--username and --password-env go together")
        body["username"], body["password"] = args.username, password
    if adding:
        body["url"] = args.upstream_url
    elif args.upstream_url is not None:
        body["url"] = args.upstream_url
    return {k: v for k, v in body.items() if v is not None}


def _call(api: Api, args: argparse.Namespace) -> Any:
    if args.connector_action == "projects":
        query = urlencode({"origin": args.origin, "sort": args.sort, "page": args.page,
                           "per_page": 200})  # fmt: skip
        return api.call("GET", f"/feeds/{quote(args.feed, safe='')}/catalog?{query}")
    base = f"/feeds/{quote(args.feed, safe='')}/connectors"
    if args.connector_action == "health":
        return api.call("GET", f"{base}/health")
    if args.connector_action == "add":
        return api.call("POST", base, _body(args, adding=True))
    if args.connector_action == "list":
        return api.call("GET", base)
    if args.connector_action == "update":
        return api.call("PATCH", f"{base}/{quote(args.id, safe='')}", _body(args, adding=False))
    api.call("DELETE", f"{base}/{quote(args.id, safe='')}")
    return {"removed": args.id}


def run_connector(args: argparse.Namespace) -> int:
    def show(result: Any, out: TextIO) -> None:
        if args.json:
            out.write(json.dumps(result, indent=2) + "\n")
        elif args.connector_action == "remove":
            out.write(f"removed {args.id}\n")
        elif args.connector_action == "health":
            out.write(render_table(result, HEALTH_COLUMNS) + "\n")
        elif args.connector_action == "projects":
            out.write(render_table(result["projects"], PROJECT_COLUMNS) + "\n")
        else:
            rows = result if isinstance(result, list) else [result]
            out.write(render_table(rows, COLUMNS) + "\n")

    return run_api_command(args, f"connector {args.connector_action}", _call, show)
