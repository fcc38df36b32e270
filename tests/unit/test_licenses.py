"""License normalization (issue 17 item 2) on metadata as real releases write it, and the
allow/deny verdict a feed's policy applies."""

from __future__ import annotations

import pytest
from packyard.protocol.licenses import (
    ReleaseLicense,
    Source,
    Verdict,
    license_verdict,
    normalize_expression,
    release_license,
)

APACHE = "License :: OSI Approved :: Apache Software License"
MIT = "License :: OSI Approved :: MIT License"
BSD = "License :: OSI Approved :: BSD License"
MIT_TEXT = (
    "MIT License\n\nCopyright (c) 2020 Someone\n\nPermission is hereby granted, free of charge"
)

# (where it is seen, License-Expression, classifiers, License) -> (SPDX, source)
REAL = [
    ("attrs 24", "MIT", [MIT], None, "MIT", Source.EXPRESSION),
    ("cryptography 44", "Apache-2.0 OR BSD-3-Clause", [], None,
     "Apache-2.0 OR BSD-3-Clause", Source.EXPRESSION),
    ("numpy 2.3", "BSD-3-Clause AND 0BSD AND MIT AND Zlib AND CC0-1.0", [], None,
     "BSD-3-Clause AND 0BSD AND MIT AND Zlib AND CC0-1.0", Source.EXPRESSION),
    ("lowercase id", "mit", [], None, "MIT", Source.EXPRESSION),
    ("deprecated id", "GPL-2.0+", [], None, "GPL-2.0-or-later", Source.EXPRESSION),
    ("PEP 639 LicenseRef", "LicenseRef-Proprietary", [], None,
     "LicenseRef-Proprietary", Source.EXPRESSION),
    ("not SPDX in the SPDX field", "Apache 2.0", [APACHE], None, None, Source.EXPRESSION),
    ("requests 2.32", None, [APACHE], "Apache 2.0", "Apache-2.0", Source.CLASSIFIERS),
    ("typing_extensions 4.7", None,
     ["License :: OSI Approved :: Python Software Foundation License"], None,
     "PSF-2.0", Source.CLASSIFIERS),
    ("dual classifiers", None, [MIT, APACHE], None, "Apache-2.0 OR MIT", Source.CLASSIFIERS),
    ("Django 5 (BSD classifier is ambiguous)", None, [BSD], "BSD-3-Clause",
     "BSD-3-Clause", Source.TEXT),
    ("certifi", None, [], "MPL-2.0", "MPL-2.0", Source.TEXT),
    ("free-text alias", None, [], "Apache License, Version 2.0", "Apache-2.0", Source.TEXT),
    ("GPLv3 shorthand", None, [], "GPLv3", "GPL-3.0-only", Source.TEXT),
    ("pasted MIT text", None, [], MIT_TEXT, "MIT", Source.TEXT),
    ("pasted Apache text", None, [],
     "Apache License\n    Version 2.0, January 2004\n http://www.apache.org/licenses/",
     "Apache-2.0", Source.TEXT),
    ("psycopg2", None, [], "LGPL with exceptions", None, Source.TEXT),
    ("bare BSD", None, [BSD], "BSD", None, Source.TEXT),
    ("nothing", None, ["Programming Language :: Python :: 3"], None, None, Source.NONE),
]  # fmt: skip


@pytest.mark.parametrize(
    ("expression", "classifiers", "text", "spdx", "source"),
    [case[1:] for case in REAL],
    ids=[case[0] for case in REAL],
)
def test_real_metadata_normalizes(
    expression: str | None, classifiers: list[str], text: str | None, spdx: str | None,
    source: Source,
) -> None:  # fmt: skip
    assert release_license(expression, classifiers, text) == ReleaseLicense(spdx, source)


def test_unknown_ids_are_not_guessed() -> None:
    assert normalize_expression("MIT AND FooBar-1.0") is None
    assert normalize_expression("MIT OR") is None


@pytest.mark.parametrize(
    ("expression", "allow", "deny", "verdict"),
    [
        ("MIT", [], ["GPL-3.0-only"], Verdict.ALLOWED),
        ("GPL-3.0-only", [], ["GPL-3.0-only"], Verdict.DENIED),
        ("gpl-3.0-only", [], ["GPL-3.0-ONLY"], Verdict.DENIED),
        # Dual-licensed: usable under the allowed alternative.
        ("GPL-3.0-only OR MIT", [], ["GPL-3.0-only"], Verdict.ALLOWED),
        # Conjunctive: every part must be acceptable.
        ("MIT AND GPL-3.0-only", [], ["GPL-3.0-only"], Verdict.DENIED),
        ("Apache-2.0", ["MIT", "BSD-3-Clause"], [], Verdict.DENIED),
        ("Apache-2.0 OR BSD-3-Clause", ["MIT", "BSD-3-Clause"], [], Verdict.ALLOWED),
        ("GPL-2.0-or-later WITH Classpath-exception-2.0", ["GPL-2.0-or-later"], [],
         Verdict.ALLOWED),
        (None, ["MIT"], [], Verdict.UNKNOWN),
    ],
)  # fmt: skip
def test_verdict(
    expression: str | None, allow: list[str], deny: list[str], verdict: Verdict
) -> None:
    assert license_verdict(expression, allow, deny) is verdict
