"""What the other metadata domains may use of the upstream domain."""

from __future__ import annotations

from packyard.metadata.upstream.models import ProjectOrigin

__all__ = ["ProjectOrigin"]
