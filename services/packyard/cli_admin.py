"""`packyard feed|key|user|perm|yank|unyank|release|file|project|audit|whoami`: the admin API
(``/api/v1/…``) from a terminal.

Configured by ``--url``/``PACKYARD_URL`` and ``--key``/``PACKYARD_KEY``. Output is a readable
table, or JSON with ``--json``; an error is one line on stderr and a non-zero exit.
Passwords are read from a prompt or with ``--password-stdin``, never from the command line.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from packyard.common.settings import redact_url

if TYPE_CHECKING:
    import httpx

DEFAULT_URL = "http://127.0.0.1:8080"
RIGHTS = ("read", "publish", "yank", "admin", "promote")
STATUSES = ("active", "archived", "quarantined", "deprecated")
_TIMEOUT = 30.0

Handler = Callable[["Api", argparse.Namespace], Any]


class CliError(Exception):
    """A one-line message for the user; the command exits with ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class Api:
    """The admin API over HTTP; errors become CliError with the server's reason."""

    def __init__(self, url: str, key: str, transport: httpx.BaseTransport | None = None) -> None:
        # Imported here: `packyard gateway` and friends parse this module's commands too.
        import httpx

        self._errors = httpx.HTTPError
        self.url = url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.url,
            auth=("api", key) if key else None,
            headers={"Accept": "application/json", "User-Agent": "packyard-cli"},
            timeout=_TIMEOUT,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        try:
            reply = self._client.request(method, "/api/v1" + path, json=body, params=params)
        except self._errors as exc:
            raise CliError(
                f"cannot reach {redact_url(self.url)}: {type(exc).__name__}", code=2
            ) from None
        if reply.status_code >= 400:
            raise CliError(f"{reply.status_code}: {_reason(reply)}")
        if reply.status_code == 204 or not reply.content:
            return None
        return reply.json()


def _reason(reply: httpx.Response) -> str:
    try:
        data = reply.json()
    except ValueError:
        return reply.text.strip().splitlines()[0] if reply.text.strip() else reply.reason_phrase
    if isinstance(data, dict) and "message" in data:
        return str(data["message"])
    return reply.reason_phrase


def _q(value: str) -> str:
    return quote(value, safe="")


# -- output ---------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "-"
    return str(value)


def render_table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    """Left-aligned columns under an upper-case header."""
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = [[c.upper() for c in columns], *cells]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def _show(result: Any, columns: Sequence[str], as_json: bool, out: TextIO) -> None:
    if as_json:
        json.dump(result, out, indent=2, sort_keys=True)
        out.write("\n")
        return
    if result is None:
        return
    rows = result if isinstance(result, list) else [result]
    out.write(render_table(rows, columns) + "\n")


# -- commands -------------------------------------------------------------------------

_FEED_COLUMNS = ("name", "anonymous_read", "refuse_local_versions", "max_file_size", "description")
_KEY_COLUMNS = ("prefix", "name", "owner", "admin", "created", "expires", "revoked")
_USER_COLUMNS = ("name", "admin", "disabled", "created")
_PERM_COLUMNS = ("feed", "subject", "right")
_AUDIT_COLUMNS = ("id", "time", "actor", "client_address", "action", "feed", "target", "detail")


def _feed_settings(args: argparse.Namespace) -> dict[str, Any]:
    values = {
        "description": args.description,
        "anonymous_read": args.anonymous_read,
        "refuse_local_versions": args.refuse_local_versions,
        "max_file_size": args.max_file_size,
    }
    return {k: v for k, v in values.items() if v is not None}


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise CliError("the passwords differ")
    if not password:
        raise CliError("empty password")
    return password


def _grants(values: list[str]) -> list[dict[str, str]]:
    grants = []
    for value in values:
        feed, _, right = value.rpartition(":")
        if not feed or right not in RIGHTS:
            raise CliError(f"--feed takes FEED:RIGHT with RIGHT one of {', '.join(RIGHTS)}")
        grants.append({"feed": feed, "right": right})
    return grants


def _key_create(api: Api, args: argparse.Namespace) -> Any:
    body: dict[str, Any] = {
        "name": args.name,
        "owner": args.owner or "",
        "admin": args.admin,
        "permissions": _grants(args.feed or []),
    }
    if args.expires_in is not None:
        body["expires"] = (datetime.now(UTC) + timedelta(days=args.expires_in)).isoformat()
    return api.call("POST", "/keys", body)


def _key_list(api: Api, args: argparse.Namespace) -> Any:
    params = {"owner": args.owner or "", "include_revoked": args.all}
    return api.call("GET", "/keys", params=params)


def _perm_list(api: Api, args: argparse.Namespace) -> Any:
    """A feed's permissions; those of revoked keys only with --all (a revoked key's grants stay
    on record but give nothing). Which keys are revoked only an administrator may list: for
    anyone else every row is shown."""
    rows = api.call("GET", f"/feeds/{_q(args.feed)}/permissions")
    if args.all or not any(str(r["subject"]).startswith("key:") for r in rows):
        return rows
    try:
        keys = api.call("GET", "/keys", params={"include_revoked": True})
    except CliError:
        return rows
    revoked = {f"key:{k['prefix']}" for k in keys if k.get("revoked")}
    return [r for r in rows if r["subject"] not in revoked]


def _yank(yanked: bool) -> Handler:
    def run(api: Api, args: argparse.Namespace) -> Any:
        path = f"/feeds/{_q(args.feed)}/projects/{_q(args.project)}/releases/{_q(args.version)}"
        if yanked:
            return api.call("POST", path + "/yank", {"reason": args.reason})
        return api.call("POST", path + "/unyank")

    return run


def _audit(api: Api, args: argparse.Namespace) -> Any:
    params = {"feed": args.feed, "actor": args.actor, "action": args.action, "limit": args.limit}
    return api.call("GET", "/audit", params={k: v for k, v in params.items() if v})


# Each leaf command: (handler, columns of its output).
_COMMANDS: dict[tuple[str, ...], tuple[Handler, Sequence[str]]] = {
    ("feed", "list"): (lambda api, a: api.call("GET", "/feeds"), _FEED_COLUMNS),
    ("feed", "show"): (lambda api, a: api.call("GET", f"/feeds/{_q(a.name)}"), _FEED_COLUMNS),
    ("feed", "create"): (
        lambda api, a: api.call("POST", "/feeds", {"name": a.name, **_feed_settings(a)}),
        _FEED_COLUMNS,
    ),
    ("feed", "update"): (
        lambda api, a: api.call("PATCH", f"/feeds/{_q(a.name)}", _feed_settings(a)),
        _FEED_COLUMNS,
    ),
    ("feed", "delete"): (lambda api, a: api.call("DELETE", f"/feeds/{_q(a.name)}"), ()),
    ("key", "create"): (_key_create, ("key", *_KEY_COLUMNS)),
    ("key", "list"): (_key_list, _KEY_COLUMNS),
    ("key", "revoke"): (
        lambda api, a: api.call("DELETE", f"/keys/{_q(a.prefix)}"),
        _KEY_COLUMNS,
    ),
    ("user", "create"): (
        lambda api, a: api.call(
            "POST", "/users", {"name": a.name, "password": _password(a), "admin": a.admin}
        ),
        _USER_COLUMNS,
    ),
    ("user", "list"): (lambda api, a: api.call("GET", "/users"), _USER_COLUMNS),
    ("user", "passwd"): (
        lambda api, a: api.call("PATCH", f"/users/{_q(a.name)}", {"password": _password(a)}),
        _USER_COLUMNS,
    ),
    ("user", "disable"): (
        lambda api, a: api.call("PATCH", f"/users/{_q(a.name)}", {"disabled": True}),
        _USER_COLUMNS,
    ),
    ("user", "enable"): (
        lambda api, a: api.call("PATCH", f"/users/{_q(a.name)}", {"disabled": False}),
        _USER_COLUMNS,
    ),
    ("user", "delete"): (lambda api, a: api.call("DELETE", f"/users/{_q(a.name)}"), ()),
    ("perm", "list"): (_perm_list, _PERM_COLUMNS),
    ("perm", "grant"): (
        lambda api, a: api.call(
            "PUT", f"/feeds/{_q(a.feed)}/permissions/{_q(a.subject)}", {"right": a.right}
        ),
        _PERM_COLUMNS,
    ),
    ("perm", "revoke"): (
        lambda api, a: api.call("DELETE", f"/feeds/{_q(a.feed)}/permissions/{_q(a.subject)}"),
        (),
    ),
    ("yank",): (_yank(True), ("feed", "project", "version", "yanked", "files")),
    ("unyank",): (_yank(False), ("feed", "project", "version", "yanked", "files")),
    ("release", "delete"): (
        lambda api, a: api.call(
            "DELETE",
            f"/feeds/{_q(a.feed)}/projects/{_q(a.project)}/releases/{_q(a.version)}",
        ),
        ("deleted", "files"),
    ),
    ("file", "delete"): (
        lambda api, a: api.call("DELETE", f"/feeds/{_q(a.feed)}/files/{_q(a.filename)}"),
        ("deleted", "files"),
    ),
    ("project", "status"): (
        lambda api, a: api.call(
            "PUT",
            f"/feeds/{_q(a.feed)}/projects/{_q(a.project)}/status",
            {"status": a.status, "reason": a.reason},
        ),
        ("feed", "project", "status", "reason"),
    ),
    ("audit",): (_audit, _AUDIT_COLUMNS),
    ("whoami",): (
        lambda api, a: api.call("GET", "/whoami"),
        ("name", "user", "key_prefix", "admin", "read", "publish", "yank", "administer", "promote"),
    ),
}


# -- parser ---------------------------------------------------------------------------


def connection_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url", default=None, help=f"Packyard base URL (default: $PACKYARD_URL or {DEFAULT_URL})"
    )
    common.add_argument("--key", default=None, help="API key (default: $PACKYARD_KEY)")
    common.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return common


def _leaf(
    group: Any, path: tuple[str, ...], common: argparse.ArgumentParser, help: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = group.add_parser(
        path[-1], parents=[common], help=help, description=help
    )
    parser.set_defaults(admin_command=path)
    return parser


def _feed_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--description", default=None)
    parser.add_argument(
        "--anonymous-read",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="anyone may read the feed without credentials",
    )
    parser.add_argument(
        "--refuse-local-versions",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="refuse versions like 1.0+abc",
    )
    parser.add_argument("--max-file-size", type=int, default=None, help="bytes; 0 = default")


def _password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )


def add_admin_commands(commands: Any) -> None:
    """Register the admin subcommands on the `packyard` subparsers."""
    common = connection_options()

    feed = commands.add_parser("feed", help="create, list, show, update, delete feeds")
    feeds = feed.add_subparsers(dest="feed_command", required=True, metavar="ACTION")
    _leaf(feeds, ("feed", "list"), common, "list the feeds you may read")
    _leaf(feeds, ("feed", "show"), common, "show a feed").add_argument("name")
    create = _leaf(feeds, ("feed", "create"), common, "create a feed (admin)")
    create.add_argument("name")
    _feed_options(create)
    update = _leaf(feeds, ("feed", "update"), common, "change a feed's settings (feed admin)")
    update.add_argument("name")
    _feed_options(update)
    _leaf(feeds, ("feed", "delete"), common, "delete a feed and its files (admin)").add_argument(
        "name"
    )

    key = commands.add_parser("key", help="create, list, revoke API keys")
    keys = key.add_subparsers(dest="key_command", required=True, metavar="ACTION")
    create = _leaf(keys, ("key", "create"), common, "create an API key; its secret is shown once")
    create.add_argument("name", help="what the key is for")
    create.add_argument("--owner", help="user the key acts for (default: a standalone key)")
    create.add_argument("--admin", action="store_true", help="global administrator key")
    create.add_argument(
        "--feed",
        action="append",
        metavar="FEED:RIGHT",
        help=f"a right of the key; RIGHT is one of {', '.join(RIGHTS)} (repeatable)",
    )
    create.add_argument("--expires-in", type=float, metavar="DAYS", help="expire after DAYS")
    listing = _leaf(keys, ("key", "list"), common, "list keys (never their secrets)")
    listing.add_argument("--owner", help="only the keys of this user")
    listing.add_argument("--all", action="store_true", help="include revoked keys")
    _leaf(keys, ("key", "revoke"), common, "revoke a key").add_argument("prefix")

    user = commands.add_parser("user", help="create, list, change, delete users")
    users = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    create = _leaf(users, ("user", "create"), common, "create a user (admin)")
    create.add_argument("name")
    create.add_argument("--admin", action="store_true", help="global administrator")
    _password_option(create)
    _leaf(users, ("user", "list"), common, "list users (admin)")
    passwd = _leaf(users, ("user", "passwd"), common, "set a user's password")
    passwd.add_argument("name")
    _password_option(passwd)
    for action in ("disable", "enable", "delete"):
        _leaf(users, ("user", action), common, f"{action} a user (admin)").add_argument("name")

    perm = commands.add_parser("perm", help="who may read, publish, yank or administer a feed")
    perms = perm.add_subparsers(dest="perm_command", required=True, metavar="ACTION")
    perm_list = _leaf(perms, ("perm", "list"), common, "list a feed's permissions")
    perm_list.add_argument("feed")
    perm_list.add_argument("--all", action="store_true", help="include revoked keys' grants")
    grant = _leaf(perms, ("perm", "grant"), common, "give USER or key:PREFIX a right on FEED")
    grant.add_argument("feed")
    grant.add_argument("subject", help="a user name or key:PREFIX")
    grant.add_argument("right", choices=RIGHTS)
    revoke = _leaf(perms, ("perm", "revoke"), common, "take a subject's right on FEED away")
    revoke.add_argument("feed")
    revoke.add_argument("subject")

    for name, helptext in (("yank", "yank a release (PEP 592)"), ("unyank", "unyank a release")):
        parser = commands.add_parser(name, parents=[common], help=helptext, description=helptext)
        parser.set_defaults(admin_command=(name,))
        for arg in ("feed", "project", "version"):
            parser.add_argument(arg)
        if name == "yank":
            parser.add_argument("--reason", default="", help="shown to installers")

    release = commands.add_parser("release", help="delete a release")
    releases = release.add_subparsers(dest="release_command", required=True, metavar="ACTION")
    delete = _leaf(
        releases, ("release", "delete"), common, "delete every file of a release (names stay taken)"
    )
    for arg in ("feed", "project", "version"):
        delete.add_argument(arg)

    file = commands.add_parser("file", help="delete a file")
    files = file.add_subparsers(dest="file_command", required=True, metavar="ACTION")
    delete = _leaf(files, ("file", "delete"), common, "delete one file (its name stays taken)")
    delete.add_argument("feed")
    delete.add_argument("filename")

    project = commands.add_parser("project", help="set a project's status")
    projects = project.add_subparsers(dest="project_command", required=True, metavar="ACTION")
    status = _leaf(projects, ("project", "status"), common, "set a PEP 792 project status")
    status.add_argument("feed")
    status.add_argument("project")
    status.add_argument("status", choices=STATUSES)
    status.add_argument("--reason", default="")

    audit = commands.add_parser(
        "audit", parents=[common], help="the audit log, newest first", description="audit log"
    )
    audit.set_defaults(admin_command=("audit",))
    audit.add_argument("--feed", default="")
    audit.add_argument("--actor", default="")
    audit.add_argument("--action", default="", help="e.g. file.uploaded, key.revoked")
    audit.add_argument("--limit", type=int, default=50)

    whoami = commands.add_parser(
        "whoami", parents=[common], help="who the key is and what it may do"
    )
    whoami.set_defaults(admin_command=("whoami",))


def is_admin_command(args: argparse.Namespace) -> bool:
    return getattr(args, "admin_command", None) is not None


def run_api_command(
    args: argparse.Namespace,
    name: str,
    handler: Handler,
    show: Callable[[Any, TextIO], None],
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Run ``handler`` against the admin API at --url with --key (else $PACKYARD_URL,
    $PACKYARD_KEY) and ``show`` what it returns; returns the exit code."""
    url = args.url or os.environ.get("PACKYARD_URL") or DEFAULT_URL
    api = Api(url, args.key or os.environ.get("PACKYARD_KEY", ""), transport)
    try:
        result = handler(api, args)
    except CliError as exc:
        (err or sys.stderr).write(f"packyard {name}: {exc}\n")
        return exc.code
    finally:
        api.close()
    show(result, out or sys.stdout)
    return 0


def run_admin(
    args: argparse.Namespace,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Run one parsed admin command; returns the exit code."""
    handler, columns = _COMMANDS[args.admin_command]

    def show(result: Any, out: TextIO) -> None:
        _show(result, columns, args.json, out)

    name = " ".join(args.admin_command)
    return run_api_command(args, name, handler, show, out=out, err=err, transport=transport)
