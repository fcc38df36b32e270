"""The advisories domain's values (dataclasses; protobuf stays in the servicer)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class PolicyAction(enum.StrEnum):
    IGNORE = "ignore"
    WARN = "warn"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class SupplyPolicy:
    feed: str
    vulnerabilities: PolicyAction = PolicyAction.IGNORE
    licenses: PolicyAction = PolicyAction.IGNORE
    license_allow: tuple[str, ...] = ()
    license_deny: tuple[str, ...] = ()
    unknown_license: PolicyAction = PolicyAction.IGNORE
    provenance_publishers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """One advisory affecting one version, in the JSON API's terms."""

    id: str
    aliases: tuple[str, ...]
    summary: str
    details: str
    link: str
    fixed_in: tuple[str, ...]
    excepted: bool = False


@dataclass(frozen=True, slots=True)
class VersionFindings:
    version: str
    vulnerabilities: tuple[Finding, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class ImportCounts:
    stored: int
    skipped: int
