"""What the other metadata domains may use of the upstream domain."""

from __future__ import annotations

from packyard.metadata.upstream.models import ProjectOrigin
from packyard.metadata.upstream.policy import publish_refusal

__all__ = ["ProjectOrigin", "publish_refusal"]
