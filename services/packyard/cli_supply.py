"""`packyard advisories import|policy|except` and `packyard audit-deps`: known vulnerabilities.

``advisories import`` reads the OSV archive of PyPI advisories (a zip of JSON records) from a
URL (a conditional GET with the ETag of the last import; an unchanged archive is not
downloaded again) or a file, and sends it to the admin API a batch at a time: the archive is
spooled to disk and read one record at a time, so memory stays flat whatever its size.
``--every SECONDS`` repeats the import on a schedule (a cron job or a Kubernetes CronJob can
run it once instead).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from packyard.cli_admin import DEFAULT_URL, Api, CliError, connection_options, render_table
from packyard.protocol.osv import iter_archive

# httpx is imported where it is used, as cli_admin.Api does: every service starts through this
# CLI, and httpx (with the rich, click and pygments its own CLI loads) is 5-7 MB of a process
# that most services never use (issue 13).
if TYPE_CHECKING:
    import httpx

OSV_PYPI_ARCHIVE = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
BATCH = 500
_DOWNLOAD_TIMEOUTS = {"timeout": 30.0, "read": 300.0}  # httpx.Timeout's arguments
_CHUNK = 1024 * 1024


def add_supply_commands(commands: Any) -> None:
    common = connection_options()
    advisories = commands.add_parser("advisories", help="known vulnerabilities (OSV advisories)")
    actions = advisories.add_subparsers(dest="advisories_action", metavar="ACTION", required=True)
    # The archive's location takes --url/--file, so the Packyard URL is --server here.
    server = argparse.ArgumentParser(add_help=False)
    server.add_argument("--server", default=None, help="Packyard base URL ($PACKYARD_URL)")
    server.add_argument("--key", default=None, help="API key (default: $PACKYARD_KEY)")
    server.add_argument("--json", action="store_true", help="print JSON")
    importing = actions.add_parser(
        "import", parents=[server], help="import the OSV PyPI archive from a URL or a file"
    )
    source = importing.add_mutually_exclusive_group()
    source.add_argument("--url", default=None, help=f"archive URL (default: {OSV_PYPI_ARCHIVE})")
    source.add_argument("--file", default=None, help="a local copy of the archive (all.zip)")
    importing.add_argument("--batch", type=int, default=BATCH, help="records per request")
    importing.add_argument(
        "--every", type=int, default=0, metavar="SECONDS", help="repeat on this schedule"
    )
    policy = actions.add_parser(
        "policy", parents=[common], help="show or change a feed's vulnerability/license policy"
    )
    policy.add_argument("feed")
    choices = ["ignore", "warn", "block"]
    policy.add_argument("action", nargs="?", choices=choices, help="for known vulnerabilities")
    policy.add_argument("--licenses", choices=choices, help="for licenses the lists refuse")
    policy.add_argument("--allow", nargs="*", metavar="SPDX", help="allowed license ids")
    policy.add_argument("--deny", nargs="*", metavar="SPDX", help="denied license ids")
    policy.add_argument("--unknown-license", choices=choices, help="for undetermined licenses")
    policy.add_argument(
        "--require-provenance", nargs="*", metavar="REPOSITORY_URL",
        help="uploads need PEP 740 attestations from one of these source repositories",
    )  # fmt: skip
    excepting = actions.add_parser(
        "except", parents=[common], help="allow one advisory in a feed until a date"
    )
    excepting.add_argument("feed")
    excepting.add_argument("advisory", help="OSV id or alias (CVE, GHSA)")
    excepting.add_argument("--until", required=True, help="expiry, e.g. 2026-12-31T00:00:00Z")
    excepting.add_argument("--reason", default="")
    audit = commands.add_parser(
        "audit-deps",
        parents=[common],
        help="known vulnerabilities of a release and of the dependency versions a feed offers",
    )
    audit.add_argument("feed")
    audit.add_argument("project")
    audit.add_argument("version")


def is_supply_command(args: argparse.Namespace) -> bool:
    return args.command in ("advisories", "audit-deps")


def run_supply(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        if args.command == "audit-deps":
            return _audit_deps(args, out)
        if args.advisories_action == "import":
            return _import_loop(args, out)
        api = _api(args.url, args.key)
        try:
            if args.advisories_action == "policy":
                result = _policy(api, args)
            else:
                result = api.call(
                    "POST",
                    f"/feeds/{quote(args.feed, safe='')}/advisory-exceptions",
                    {"advisory": args.advisory, "expires": args.until, "reason": args.reason},
                )
        finally:
            api.close()
    except CliError as exc:
        sys.stderr.write(f"packyard {args.command}: {exc}\n")
        return exc.code
    out.write(json.dumps(result, indent=2) + "\n")
    return 0


def _api(url: str | None, key: str | None) -> Api:
    return Api(
        url or os.environ.get("PACKYARD_URL") or DEFAULT_URL,
        key or os.environ.get("PACKYARD_KEY", ""),
    )


def _policy(api: Api, args: argparse.Namespace) -> Any:
    path = f"/feeds/{quote(args.feed, safe='')}/supply-policy"
    changes = {
        "vulnerabilities": args.action,
        "licenses": args.licenses,
        "license_allow": args.allow,
        "license_deny": args.deny,
        "unknown_license": args.unknown_license,
        "provenance_publishers": args.require_provenance,
    }
    current = api.call("GET", path)
    if all(value is None for value in changes.values()):
        return current
    current.pop("feed", None)
    current.update({k: v for k, v in changes.items() if v is not None})
    return api.call("PUT", path, current)


# -- import -------------------------------------------------------------------------------


def _import_loop(args: argparse.Namespace, out: TextIO) -> int:
    while True:
        summary = import_advisories(
            _api(args.server, args.key), url=args.url, path=args.file, batch=args.batch
        )
        out.write(json.dumps(summary) + "\n" if args.json else _summary_line(summary) + "\n")
        out.flush()
        if args.every <= 0:
            return 0
        time.sleep(args.every)


def _summary_line(summary: dict[str, Any]) -> str:
    if summary["not_modified"]:
        return f"{summary['source']}: not modified since the last import"
    return (
        f"{summary['source']}: {summary['records']} records, {summary['stored']} PyPI "
        f"advisories stored, {summary['skipped']} skipped in {summary['seconds']:.1f}s"
    )


def import_advisories(
    api: Api,
    *,
    url: str | None,
    path: str | None,
    batch: int = BATCH,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, Any]:
    """Import one archive; returns counts (and whether the URL's archive was unchanged).
    ``transport`` replaces the network for the archive download (tests)."""
    import httpx

    started = time.monotonic()
    source = path or url or OSV_PYPI_ARCHIVE
    try:
        if path is not None:
            counts = _send(api, source, path, "", batch)
        else:
            with httpx.Client(
                timeout=httpx.Timeout(**_DOWNLOAD_TIMEOUTS),
                follow_redirects=True,
                transport=transport,
            ) as download:
                counts = _import_url(api, download, source, batch)
    finally:
        api.close()
    return {"source": source, **counts, "seconds": round(time.monotonic() - started, 2)}


def _import_url(api: Api, download: httpx.Client, url: str, batch: int) -> dict[str, Any]:
    import httpx

    known = api.call("GET", "/advisories/source", params={"source": url}) or {}
    headers = {"If-None-Match": known["etag"]} if known.get("etag") else {}
    with tempfile.NamedTemporaryFile(prefix="osv-", suffix=".zip") as spool:
        try:
            with download.stream("GET", url, headers=headers) as reply:
                if reply.status_code == 304:
                    return {"not_modified": True, "records": 0, "stored": 0, "skipped": 0}
                if reply.status_code != 200:
                    raise CliError(f"{url}: HTTP {reply.status_code}")
                etag = reply.headers.get("etag", "")
                for chunk in reply.iter_bytes(_CHUNK):
                    spool.write(chunk)
        except httpx.HTTPError as exc:
            raise CliError(f"cannot download {url}: {type(exc).__name__}", code=2) from None
        spool.flush()
        return _send(api, url, spool.name, etag, batch)


def _send(api: Api, source: str, path: str, etag: str, batch: int) -> dict[str, Any]:
    counts = {"not_modified": False, "records": 0, "stored": 0, "skipped": 0}
    for records, last in _batches(path, batch):
        counts["records"] += len(records)
        body = {"source": source, "records": records, "last": last, "etag": etag if last else ""}
        reply = api.call("POST", "/advisories/batches", body)
        counts["stored"] += reply["stored"]
        counts["skipped"] += reply["skipped"]
    return counts


def _batches(path: str, size: int) -> Iterator[tuple[list[dict[str, Any]], bool]]:
    """Lists of parsed records, the last flagged (an empty archive sends one empty batch)."""
    pending: list[dict[str, Any]] = []
    for data in iter_archive(path):
        try:
            record = json.loads(data)
        except ValueError:
            continue
        if isinstance(record, dict):
            pending.append(record)
        if len(pending) > size:
            yield pending[:size], False
            pending = pending[size:]
    yield pending, True


# -- audit-deps ---------------------------------------------------------------------------


def _audit_deps(args: argparse.Namespace, out: TextIO) -> int:
    import httpx

    base = (args.url or os.environ.get("PACKYARD_URL") or DEFAULT_URL).rstrip("/")
    key = args.key or os.environ.get("PACKYARD_KEY", "")
    feed = quote(args.feed, safe="")
    with httpx.Client(base_url=base, auth=("api", key) if key else None, timeout=30) as client:
        release = _json(
            client, f"/pypi/{feed}/pypi/{canonicalize_name(args.project)}/{args.version}/json"
        )
        rows = _rows(args.project, args.version, release)
        for line in release["info"].get("requires_dist") or []:
            chosen = _offered_version(client, feed, line)
            if chosen is not None:
                name, version = chosen
                rows += _rows(
                    name, version, _json(client, f"/pypi/{feed}/pypi/{name}/{version}/json")
                )
    if args.json:
        out.write(json.dumps(rows, indent=2) + "\n")
    elif rows:
        out.write(
            render_table(rows, ("project", "version", "advisory", "aliases", "fixed_in")) + "\n"
        )
    else:
        out.write("no known vulnerabilities\n")
    return 1 if rows else 0


def _json(client: httpx.Client, path: str) -> dict[str, Any]:
    import httpx

    try:
        reply = client.get(path)
    except httpx.HTTPError as exc:
        raise CliError(f"cannot reach the server: {type(exc).__name__}", code=2) from None
    if reply.status_code != 200:
        raise CliError(f"{path}: HTTP {reply.status_code}: {reply.text.strip()[:200]}")
    data: dict[str, Any] = reply.json()
    return data


def _rows(project: str, version: str, doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "project": project,
            "version": version,
            "advisory": v["id"],
            "aliases": v["aliases"],
            "fixed_in": v["fixed_in"],
        }
        for v in doc.get("vulnerabilities") or []
    ]


def _offered_version(client: httpx.Client, feed: str, line: str) -> tuple[str, str] | None:
    """The version of a dependency an installer would pick from the feed (the highest
    unyanked final release the specifier allows); None for extras-only or unknown ones."""
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return None
    if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
        return None
    name = canonicalize_name(requirement.name)
    reply = client.get(f"/pypi/{feed}/pypi/{name}/json")
    if reply.status_code != 200:
        return None
    candidates = []
    for version, files in reply.json().get("releases", {}).items():
        try:
            parsed = Version(version)
        except InvalidVersion:
            continue
        if files and not all(f.get("yanked") for f in files) and not parsed.is_prerelease:
            if requirement.specifier.contains(parsed):
                candidates.append((parsed, version))
    return (name, max(candidates)[1]) if candidates else None
