"""Memory (issue 13): each service starts without the libraries only some requests need.

Verifying attestations (pypi-attestations, sigstore: ~12 MB), LDAP (ldap3: ~4 MB), OIDC
(Authlib, joserfc: ~2 MB) and rendering descriptions (readme_renderer, docutils, nh3: ~7 MB)
are imported on first use (RSS each adds to a gateway that has the rest loaded). A module-level
import of one of them anywhere on a service's start-up path would put that memory back into
every process: this catches it.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

ON_FIRST_USE = [
    "pypi_attestations", "sigstore",  # gateway/pypi/provenance.py
    "ldap3",  # gateway/auth/sign_in.py
    "authlib", "joserfc",  # gateway/ui/oidc_pages.py
    "readme_renderer", "docutils", "nh3",  # gateway/pypi/publish.py, gateway/ui/routes.py
]  # fmt: skip


def _loaded_at_start(service: str) -> list[str]:
    # As `packyard up` starts a service: `python -m packyard.cli SERVICE` imports the CLI,
    # then the service's entry module (which, for the gateway, imports the whole app).
    probe = (
        f"import sys, packyard.cli, packyard.{service}.__main__\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", probe], capture_output=True, text=True, check=True
    )
    return result.stdout.split()


@pytest.mark.parametrize("service", ["gateway", "metadata", "blob", "connector"])
def test_a_service_starts_without_the_libraries_of_occasional_requests(service: str) -> None:
    loaded = _loaded_at_start(service)
    assert "packyard" in loaded  # the probe did import the service
    assert [name for name in ON_FIRST_USE if name in loaded] == []


# Libraries some services use and others must not load at start: cryptography (~9 MB) makes
# certificates (common/tls.py: `packyard up`, `packyard certs`) while a service only reads its
# files (common/tls_files.py), and the metadata service seals connector credentials with it;
# httpx (5-7 MB with the rich and click its own CLI loads) serves the connector, the metadata
# service's webhooks and the CLI's commands (cli_admin, cli_supply import it when they run).
NOT_AT_START = [
    ("gateway", "cryptography"), ("blob", "cryptography"), ("connector", "cryptography"),
    ("gateway", "httpx"), ("blob", "httpx"),
]  # fmt: skip


@pytest.mark.parametrize(("service", "library"), NOT_AT_START)
def test_a_service_starts_without_what_only_others_use(service: str, library: str) -> None:
    assert library not in _loaded_at_start(service)


def test_the_lazily_imported_modules_still_import() -> None:
    """The modules imported on first use load (a broken one would fail only at that request)."""
    probe = (
        "import packyard.protocol.attestations, packyard.gateway.auth.ldap_directory, "
        "packyard.gateway.auth.oidc_flow, packyard.gateway.ui.readme, "
        "packyard.protocol.description, packyard.common.tls, packyard.cli_certs"
    )
    subprocess.run([sys.executable, "-W", "ignore", "-c", probe], check=True)
