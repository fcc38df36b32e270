"""A release's license from its core metadata, as an SPDX expression, and a feed's verdict.

Sources in PEP 639's order of authority: ``License-Expression`` (already SPDX), then the
``License ::`` classifiers (a table of the Trove classifiers with one SPDX meaning), then the
free-text ``License`` field (an SPDX expression, a well-known name, or the first line of a
full license text). SPDX parsing, validation and normalization are ``license-expression``'s
(the ScanCode project's library, which ships the SPDX license list). What cannot be mapped is
"unknown" rather than guessed: ``License :: OSI Approved :: BSD License`` says "a BSD
license", not which of them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from license_expression import (
    AND,
    OR,
    ExpressionError,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    Licensing,
    get_spdx_licensing,
)

# Trove license classifiers that name exactly one SPDX license.
CLASSIFIERS = {
    "License :: OSI Approved :: MIT License": "MIT",
    "License :: OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",
    "License :: OSI Approved :: Apache Software License": "Apache-2.0",
    "License :: OSI Approved :: ISC License (ISCL)": "ISC",
    "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "License :: OSI Approved :: GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)":
        "GPL-2.0-or-later",
    "License :: OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)":
        "GPL-3.0-or-later",
    "License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)":
        "LGPL-2.0-or-later",
    "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)":
        "LGPL-3.0-or-later",
    "License :: OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
    "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)":
        "AGPL-3.0-or-later",
    "License :: OSI Approved :: Python Software Foundation License": "PSF-2.0",
    "License :: OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
    "License :: OSI Approved :: Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
    "License :: OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)": "EUPL-1.2",
    "License :: OSI Approved :: zlib/libpng License": "Zlib",
    "License :: OSI Approved :: Universal Permissive License (UPL)": "UPL-1.0",
    "License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
}  # fmt: skip
# Free-text spellings seen in the License field of real releases, lowercased.
TEXT_ALIASES = {
    "mit license": "MIT",
    "the mit license": "MIT",
    "mit-style": "MIT",
    "expat": "MIT",
    "apache 2.0": "Apache-2.0",
    "apache 2": "Apache-2.0",
    "apache-2": "Apache-2.0",
    "apache license 2.0": "Apache-2.0",
    "apache license, version 2.0": "Apache-2.0",
    "apache software license 2.0": "Apache-2.0",
    "apache license version 2.0": "Apache-2.0",
    "bsd 3-clause": "BSD-3-Clause",
    "bsd 3-clause license": "BSD-3-Clause",
    "3-clause bsd": "BSD-3-Clause",
    "new bsd": "BSD-3-Clause",
    "new bsd license": "BSD-3-Clause",
    "modified bsd license": "BSD-3-Clause",
    "bsd 2-clause": "BSD-2-Clause",
    "bsd 2-clause license": "BSD-2-Clause",
    "simplified bsd": "BSD-2-Clause",
    "gplv2": "GPL-2.0-only",
    "gplv2+": "GPL-2.0-or-later",
    "gplv3": "GPL-3.0-only",
    "gplv3+": "GPL-3.0-or-later",
    "gpl v3": "GPL-3.0-only",
    "lgplv3": "LGPL-3.0-only",
    "lgplv3+": "LGPL-3.0-or-later",
    "agplv3": "AGPL-3.0-only",
    "mpl 2.0": "MPL-2.0",
    "mpl-2": "MPL-2.0",
    "mozilla public license 2.0 (mpl 2.0)": "MPL-2.0",
    "psf": "PSF-2.0",
    "psf license": "PSF-2.0",
    "python software foundation license": "PSF-2.0",
    "isc license": "ISC",
    "the unlicense": "Unlicense",
    "cc0": "CC0-1.0",
}
# The first line of a full license text pasted into the License field.
_TEXT_HEADINGS = (
    ("apache license", "version 2.0", "Apache-2.0"),
    ("mit license", "", "MIT"),
    ("the mit license", "", "MIT"),
    ("bsd 3-clause license", "", "BSD-3-Clause"),
    ("bsd 2-clause license", "", "BSD-2-Clause"),
    ("mozilla public license version 2.0", "", "MPL-2.0"),
    ("gnu general public license", "version 3", "GPL-3.0-only"),
    ("gnu lesser general public license", "version 3", "LGPL-3.0-only"),
)


class Source(enum.StrEnum):
    EXPRESSION = "License-Expression"
    CLASSIFIERS = "classifiers"
    TEXT = "License"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ReleaseLicense:
    expression: str | None  # normalized SPDX, None when unknown
    source: Source


@cache
def _licensing() -> Licensing:
    return get_spdx_licensing()


def normalize_expression(value: str) -> str | None:
    """The SPDX expression normalized (case, spacing, deprecated ids), None if invalid or
    naming a license SPDX does not know (``LicenseRef-…`` ids are kept, as PEP 639 allows)."""
    try:
        parsed = _licensing().parse(value, validate=False, strict=True)
    except ExpressionError:
        return None
    if parsed is None:
        return None
    unknown = [
        key for key in _licensing().unknown_license_keys(parsed)
        if not key.startswith(("LicenseRef-", "DocumentRef-"))
    ]  # fmt: skip
    return None if unknown else str(parsed.render())


def release_license(
    license_expression: str | None, classifiers: Iterable[str], license_text: str | None
) -> ReleaseLicense:
    """The release's license, from the most authoritative field that gives one."""
    if license_expression and license_expression.strip():
        return ReleaseLicense(normalize_expression(license_expression), Source.EXPRESSION)
    mapped = sorted({CLASSIFIERS[c] for c in classifiers if c in CLASSIFIERS})
    if mapped:
        # Several license classifiers conventionally mean "under any of these".
        return ReleaseLicense(normalize_expression(" OR ".join(mapped)), Source.CLASSIFIERS)
    if license_text and license_text.strip():
        return ReleaseLicense(_from_text(license_text), Source.TEXT)
    return ReleaseLicense(None, Source.NONE)


def _from_text(text: str) -> str | None:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    first = lines[0].lower().rstrip(".")
    if len(lines) == 1:
        alias = TEXT_ALIASES.get(first)
        if alias:
            return alias
        return normalize_expression(lines[0])
    second = lines[1].lower() if len(lines) > 1 else ""
    for heading, then, spdx in _TEXT_HEADINGS:
        if first == heading and (not then or then in second or then in first):
            return spdx
    return None


class Verdict(enum.StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    UNKNOWN = "unknown"


def license_verdict(expression: str | None, allow: Sequence[str], deny: Sequence[str]) -> Verdict:
    """ALLOWED when the expression can be satisfied with licenses the lists accept: for
    ``A OR B`` one of them, for ``A AND B`` both; an empty allow list accepts any license
    not denied. UNKNOWN when there is no (valid) expression."""
    if expression is None:
        return Verdict.UNKNOWN
    parsed = _licensing().parse(expression, validate=False)
    allowed = {key.lower() for key in allow}
    denied = {key.lower() for key in deny}

    def accepted(node: Any) -> bool:
        if isinstance(node, LicenseWithExceptionSymbol):
            return accepted(node.license_symbol)
        if isinstance(node, LicenseSymbol):
            key = str(node.key).lower()
            return key not in denied and (not allowed or key in allowed)
        if isinstance(node, AND):
            return all(accepted(arg) for arg in node.args)
        if isinstance(node, OR):
            return any(accepted(arg) for arg in node.args)
        return False

    return Verdict.ALLOWED if accepted(parsed) else Verdict.DENIED
