"""`packyard gc [--dry-run] [--scrub]`: one collection (or scrub pass) now, with the census.

Reads the metadata service's settings (PACKYARD_DATABASE_URL, PACKYARD_BLOB_ADDR, the GC_*
settings), like `packyard migrate`: run it where the services run (a compose one-shot, a
Kubernetes Job). It takes the same advisory lock as the services' own runs.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from pydantic import ValidationError

from packyard.metadata.db import create_pool
from packyard.metadata.gc.collector import Collection
from packyard.metadata.gc.jobs import storage_jobs
from packyard.metadata.settings import MetadataSettings, settings_errors


def describe(result: Collection, out: TextIO) -> None:
    if result.locked_out:
        print("Another garbage collection is running; nothing done.", file=out)
        return
    print(f"before: {result.census.line()}", file=out)
    verb = "would remove" if result.dry_run else "removed"
    gone = result.candidates if result.dry_run else result.removed
    print(f"{verb} {len(gone)} objects:", file=out)
    for item in result.candidates:
        if result.dry_run or item.sha256 in result.removed:
            print(f"  {item.sha256}  {item.size} bytes  {item.age_seconds} s old", file=out)


async def run(settings: MetadataSettings, *, dry_run: bool, scrub: bool, out: TextIO) -> int:
    if not settings.blob_addr:
        print("packyard gc: PACKYARD_BLOB_ADDR is not set", file=sys.stderr)
        return 2
    pool = await create_pool(settings)
    try:
        async with storage_jobs(pool, settings) as jobs:
            if scrub:
                scrubbed = await jobs.scrubber.run()
                print(
                    f"scrubbed {scrubbed.checked} objects ({scrubbed.bytes} bytes); "
                    f"quarantined {len(scrubbed.quarantined)}: {' '.join(scrubbed.quarantined)}",
                    file=out,
                )
                return 0
            result = await jobs.collector.run(dry_run=dry_run)
            describe(result, out)
            if not dry_run and not result.locked_out:
                print(f"after:  {(await jobs.collector.census()).line()}", file=out)
            return 1 if result.locked_out else 0
    finally:
        await pool.close()


def main(*, dry_run: bool, scrub: bool) -> int:
    try:
        settings = MetadataSettings()  # type: ignore[call-arg]
    except ValidationError as exc:
        print(f"packyard gc: {settings_errors(exc)}", file=sys.stderr)
        return 2
    return asyncio.run(run(settings, dry_run=dry_run, scrub=scrub, out=sys.stdout))
