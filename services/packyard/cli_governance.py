"""`packyard promote | promotion … | webhook … | retention …`: governance over the admin API.

``packyard promote SRC DST PROJECT VERSION`` copies a release (every file, its metadata and
hashes; no bytes move) from feed SRC to feed DST. ``packyard promotion policy FEED
[--allow SRC …]`` shows or sets which feeds may promote into FEED; ``packyard promotion list
FEED`` the promotions into and out of it. ``packyard webhook add|list|remove|deliveries``
manages a feed's webhooks; the secret comes from an environment variable, never the command
line. ``packyard retention rules FEED [--keep-latest N …]`` shows or sets a feed's retention
rules; ``packyard retention run FEED [--dry-run]`` applies them (or lists what would go).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from typing import Any, TextIO
from urllib.parse import quote

from packyard.cli_admin import Api, CliError, connection_options, render_table, run_api_command

_FILE_COLUMNS = ("filename", "sha256", "size")
_POLICY_COLUMNS = ("feed", "allowed_sources", "require_promote_right")
_WEBHOOK_COLUMNS = ("id", "feed", "url", "events", "created")
_DELIVERY_COLUMNS = (
    "id", "webhook_id", "event", "status", "attempts", "response_status", "last_error", "created",
)  # fmt: skip
_PROMOTION_COLUMNS = ("created", "source", "target", "project", "version", "actor", "files")


def _q(value: str) -> str:
    return quote(value, safe="")


def add_governance_commands(commands: Any) -> None:
    """Register `promote` and `promotion` on the `packyard` subparsers."""
    common = connection_options()
    promote = commands.add_parser(
        "promote",
        parents=[common],
        help="copy a release from one feed to another",
        description="Copy a release (every file, its metadata and hashes) from SOURCE to TARGET.",
    )
    promote.set_defaults(governance_command="promote")
    for arg in ("source", "target", "project", "version"):
        promote.add_argument(arg)
    promote.add_argument("--force", action="store_true", help="promote a yanked release too")

    promotion = commands.add_parser("promotion", help="promotion policies and history")
    actions = promotion.add_subparsers(dest="promotion_action", required=True, metavar="ACTION")
    policy = actions.add_parser(
        "policy", parents=[common], help="show or set which feeds may promote into FEED"
    )
    policy.set_defaults(governance_command="policy")
    policy.add_argument("feed")
    policy.add_argument(
        "--allow", action="append", default=None, metavar="SOURCE",
        help="a feed that may promote into FEED (repeatable); sets the policy",
    )  # fmt: skip
    policy.add_argument("--any", action="store_true", help="let any feed promote into FEED")
    policy.add_argument(
        "--require-promote-right", action=argparse.BooleanOptionalAction, default=None,
        help="only principals with the promote right on FEED may promote into it",
    )  # fmt: skip
    listing = actions.add_parser("list", parents=[common], help="promotions into and out of FEED")
    listing.set_defaults(governance_command="list")
    listing.add_argument("feed")
    listing.add_argument("--limit", type=int, default=50)

    webhook = commands.add_parser("webhook", help="a feed's webhooks and their deliveries")
    hooks = webhook.add_subparsers(dest="webhook_action", required=True, metavar="ACTION")
    add = hooks.add_parser("add", parents=[common], help="POST signed events of FEED to URL")
    add.set_defaults(governance_command="webhook add")
    add.add_argument("feed")
    add.add_argument("webhook_url", metavar="URL")
    add.add_argument(
        "--secret-env", required=True, metavar="VAR",
        help="environment variable holding the signing secret (16+ characters)",
    )  # fmt: skip
    add.add_argument(
        "--event", action="append", default=[], dest="events",
        help="upload, yank, unyank, delete, promote, retention, connector_failing or "
        "connector_recovered (repeatable; default: all)",
    )  # fmt: skip
    shown = (("list", "list FEED's webhooks"), ("deliveries", "FEED's deliveries, newest first"))
    for action, helptext in shown:
        parser = hooks.add_parser(action, parents=[common], help=helptext)
        parser.set_defaults(governance_command=f"webhook {action}")
        parser.add_argument("feed")
    retention = commands.add_parser("retention", help="a feed's retention rules and runs")
    kinds = retention.add_subparsers(dest="retention_action", required=True, metavar="ACTION")
    rules = kinds.add_parser(
        "rules", parents=[common], help="show FEED's rules, or set them with options"
    )
    rules.set_defaults(governance_command="retention rules")
    rules.add_argument("feed")
    for option, helptext in (
        ("--keep-latest", "keep the newest N versions of each project"),
        ("--prerelease-max-age-days", "remove pre-releases last uploaded more than N days ago"),
        ("--cached-max-age-days", "remove cached upstream files not downloaded for N days"),
        ("--quota-bytes", "keep hosted files under N bytes (least downloaded, oldest first)"),
    ):
        rules.add_argument(option, type=int, default=None, metavar="N", help=helptext)
    run = kinds.add_parser("run", parents=[common], help="apply FEED's retention rules")
    run.set_defaults(governance_command="retention run")
    run.add_argument("feed")
    run.add_argument("--dry-run", action="store_true", help="list what would go, remove nothing")
    run.add_argument(
        "--include-promoted", action="store_true",
        help="also remove versions another feed received from FEED by promotion",
    )  # fmt: skip

    remove = hooks.add_parser("remove", parents=[common], help="remove a webhook")
    remove.set_defaults(governance_command="webhook remove")
    remove.add_argument("feed")
    remove.add_argument("id", type=int)


def is_governance_command(args: argparse.Namespace) -> bool:
    return getattr(args, "governance_command", None) is not None


def _promote(api: Api, args: argparse.Namespace) -> Any:
    path = f"/feeds/{_q(args.source)}/projects/{_q(args.project)}/releases/{_q(args.version)}"
    return api.call("POST", path + "/promote", {"target": args.target, "force": args.force})


def _policy(api: Api, args: argparse.Namespace) -> Any:
    path = f"/feeds/{_q(args.feed)}/promotion-policy"
    current = api.call("GET", path)
    if args.allow is None and not args.any and args.require_promote_right is None:
        return current
    # What the options leave unsaid stays as it is.
    sources = [] if args.any else args.allow
    require = args.require_promote_right
    return api.call("PUT", path, {
        "allowed_sources": current["allowed_sources"] if sources is None else sources,
        "require_promote_right": current["require_promote_right"] if require is None else require,
    })  # fmt: skip


def _list(api: Api, args: argparse.Namespace) -> Any:
    return api.call("GET", f"/feeds/{_q(args.feed)}/promotions", params={"limit": args.limit})


def _webhook_add(api: Api, args: argparse.Namespace) -> Any:
    secret = os.environ.get(args.secret_env)
    if not secret:
        raise CliError(f"environment variable {args.secret_env} is not set")
    body = {"url": args.webhook_url, "secret": secret, "events": args.events}
    return api.call("POST", f"/feeds/{_q(args.feed)}/webhooks", body)


def _webhook_remove(api: Api, args: argparse.Namespace) -> Any:
    api.call("DELETE", f"/feeds/{_q(args.feed)}/webhooks/{args.id}")
    return {"removed": args.id}


_RULES = ("keep_latest", "prerelease_max_age_days", "cached_max_age_days", "quota_bytes")


def _retention_rules(api: Api, args: argparse.Namespace) -> Any:
    path = f"/feeds/{_q(args.feed)}/retention"
    body = {name: getattr(args, name) for name in _RULES if getattr(args, name) is not None}
    return api.call("PUT", path, body) if body else api.call("GET", path)


def _retention_run(api: Api, args: argparse.Namespace) -> Any:
    params = {"dry_run": str(args.dry_run).lower(),
              "include_promoted": str(args.include_promoted).lower()}  # fmt: skip
    return api.call("POST", f"/feeds/{_q(args.feed)}/retention/run", params=params)


def _show_run(result: Any, out: TextIO) -> None:
    rows = [
        {**r, "version": r["version"] or "(cached)", "files": len(r["filenames"])}
        for r in result["removals"]
    ]
    out.write(render_table(rows, ("project", "version", "files", "bytes", "reason")) + "\n")
    verb = "would remove" if result["dry_run"] else "removed"
    out.write(f"{verb} {len(rows)} releases/files, {result['bytes']} bytes\n")


def _show_promotion(result: Any, out: TextIO) -> None:
    what = f"{result['project']}=={result['version']} {result['source']} -> {result['target']}"
    out.write(("promoted " if result["promoted"] else "already promoted ") + what + "\n")
    out.write(render_table(result["files"], _FILE_COLUMNS) + "\n")


_HANDLERS: dict[str, tuple[Callable[[Api, argparse.Namespace], Any], Callable[..., None]]] = {
    "promote": (_promote, _show_promotion),
    "policy": (_policy, lambda r, out: out.write(render_table([r], _POLICY_COLUMNS) + "\n")),
    "list": (_list, lambda r, out: out.write(render_table(r, _PROMOTION_COLUMNS) + "\n")),
    "webhook add": (_webhook_add, lambda r, out: _table([r], _WEBHOOK_COLUMNS, out)),
    "webhook list": (
        lambda api, a: api.call("GET", f"/feeds/{_q(a.feed)}/webhooks"),
        lambda r, out: _table(r, _WEBHOOK_COLUMNS, out),
    ),
    "webhook deliveries": (
        lambda api, a: api.call("GET", f"/feeds/{_q(a.feed)}/webhook-deliveries"),
        lambda r, out: _table(r, _DELIVERY_COLUMNS, out),
    ),
    "retention rules": (_retention_rules, lambda r, out: _table([r], ("feed", *_RULES), out)),
    "retention run": (_retention_run, _show_run),
    "webhook remove": (_webhook_remove, lambda r, out: out.write(f"removed {r['removed']}\n")),
}


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...], out: TextIO) -> None:
    out.write(render_table(rows, columns) + "\n")


def run_governance(args: argparse.Namespace) -> int:
    handler, show_table = _HANDLERS[args.governance_command]

    def show(result: Any, out: TextIO) -> None:
        if args.json:
            out.write(json.dumps(result, indent=2) + "\n")
        else:
            show_table(result, out)

    return run_api_command(args, args.governance_command, handler, show)
