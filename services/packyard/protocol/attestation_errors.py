"""The error an upload's PEP 740 attestations raise, apart from their verification.

Verification (attestations.py) loads pypi-attestations and sigstore, about 12 MB of a
process's memory; the gateway imports it only when an upload carries attestations. Code that
only refuses an upload (a feed requiring attestations, an upload without them) needs this
class alone.
"""

from __future__ import annotations

from packyard.common.errors import InvalidArgument


class InvalidAttestations(InvalidArgument):
    """Attestations that are malformed, unverifiable, or from a publisher the feed refuses."""
