"""What the workers of one gateway share, made by the supervisor before it forks.

- the drops ring (sibling_drops.py): a change made through one worker empties the others'
  caches of it at once;
- the pages directory (shared_pages.py): a page one worker loaded serves the others;
- the file copies' root (blob_cache.py): a file one worker kept on disk serves the others.

Without them each worker is a cold cache to the connections the kernel hands it, and a pip
run whose connection lands on the other worker pays a round trip per page and file (issue 13).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from packyard.gateway.settings import GatewaySettings
from packyard.gateway.shared_pages import SharedPages
from packyard.gateway.sibling_drops import SiblingDrops


@dataclass(frozen=True)
class WorkerShares:
    drops: SiblingDrops
    pages: SharedPages | None
    blobs_root: Path | None

    @classmethod
    def create(cls, settings: GatewaySettings) -> WorkerShares:
        """Before ``share_budgets``: the directories hold the whole gateway's budgets."""
        pages = None
        if settings.page_cache_ttl > 0 and settings.page_cache_max_bytes > 0:
            pages = SharedPages.create(
                settings.blob_cache_dir, settings.page_cache_ttl, settings.page_cache_max_bytes
            )
        blobs_root = None
        if settings.blob_cache_max_bytes > 0:
            blobs_root = Path(
                tempfile.mkdtemp(prefix="packyard-blobs-", dir=settings.blob_cache_dir or None)
            )
        return cls(SiblingDrops(), pages, blobs_root)

    def remove(self) -> None:
        """When the supervisor exits (its workers are gone)."""
        if self.pages is not None:
            self.pages.remove()
        if self.blobs_root is not None:
            shutil.rmtree(self.blobs_root, ignore_errors=True)
