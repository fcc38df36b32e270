"""`packyard gc`, `packyard backup DIR` and `packyard restore DIR`: storage operations."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

_COMMANDS = ("gc", "backup", "restore")
DEFAULT_DATA_DIR = "./packyard-data"


def add_ops_commands(commands: Any) -> None:
    gc = commands.add_parser(
        "gc",
        help="collect unreferenced blobs once (settings of the metadata service)",
        description="Remove objects no file references whose grace period has passed "
        "(PACKYARD_GC_GRACE), and deleted files' bytes past PACKYARD_GC_DELETED_RETENTION. "
        "With PACKYARD_DATABASE_URL set, needs PACKYARD_BLOB_ADDR too; otherwise it runs on "
        "the embedded engines of a stopped `packyard up` data directory.",
    )
    gc.add_argument("--dry-run", action="store_true", help="list what would go, remove nothing")
    gc.add_argument("--scrub", action="store_true", help="re-hash every object instead")
    gc.add_argument("--data-dir", default=None, help="the `packyard up` data directory")
    for name, verb in (("backup", "write a backup to"), ("restore", "restore a backup from")):
        command = commands.add_parser(
            name,
            help=f"{verb} DIR: the database and the blobs it references",
            description="With PACKYARD_DATABASE_URL set, uses the PACKYARD_* database and "
            "bucket; otherwise the embedded engines of a stopped `packyard up` data directory.",
        )
        command.add_argument("directory", metavar="DIR")
        command.add_argument(
            "--data-dir",
            default=None,
            help="the `packyard up` data directory (default: $PACKYARD_DATA_DIR or "
            "./packyard-data)",
        )


def is_ops_command(args: argparse.Namespace) -> bool:
    return args.command in _COMMANDS


def run_ops(args: argparse.Namespace) -> int:
    # Imported here: `packyard gateway` and friends parse this module's commands too.
    from packyard.backup import BackupError, backup, open_target, restore

    data_dir = Path(args.data_dir or os.environ.get("PACKYARD_DATA_DIR") or DEFAULT_DATA_DIR)
    if args.command == "gc":
        from packyard.metadata.gc.command import main as gc_main

        if os.environ.get("PACKYARD_DATABASE_URL"):
            return gc_main(dry_run=args.dry_run, scrub=args.scrub)
        try:
            with open_target(data_dir.resolve()) as target:
                return asyncio.run(_gc_embedded(target, args))
        except BackupError as exc:
            print(f"packyard gc: {exc}", file=sys.stderr)
            return 1
    directory = Path(args.directory)
    try:
        with open_target(data_dir.resolve()) as target:
            if args.command == "backup":
                report = asyncio.run(backup(target, directory))
                print(f"backed up the database and {report.objects} objects ({report.bytes} bytes)")
            else:
                report = asyncio.run(restore(target, directory))
                print(f"restored the database and {report.objects} objects ({report.bytes} bytes)")
    except BackupError as exc:
        print(f"packyard {args.command}: {exc}", file=sys.stderr)
        return 1
    for sha256 in report.missing:
        print(f"warning: referenced object {sha256} was missing or corrupted", file=sys.stderr)
    return 0


async def _gc_embedded(target: Any, args: argparse.Namespace) -> int:
    """One run on a stopped embedded stack: a blob server of our own for the duration."""
    from packyard.blob.server import running_server
    from packyard.metadata.gc.command import run as gc_run
    from packyard.metadata.settings import MetadataSettings

    blob_settings = target.blob_settings.model_copy(update={"listen_addr": "127.0.0.1:0"})
    async with running_server(blob_settings) as port:
        settings = MetadataSettings(
            database_url=target.database_url,
            blob_addr=f"127.0.0.1:{port}",
            **target.metadata_tls,  # type: ignore[arg-type]
        )
        return int(await gc_run(settings, dry_run=args.dry_run, scrub=args.scrub, out=sys.stdout))
