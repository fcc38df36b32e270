"""`packyard certs` and common/tls.py: the CA and leaves are private, reused, and name their
identity the way servers read it."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from packyard.cli import main
from packyard.common.settings import ServiceSettings
from packyard.common.tls import ensure_material
from packyard.common.tls_files import TlsError, files_for


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_certs_makes_private_material_once(tmp_path: Path) -> None:
    out = tmp_path / "tls"
    assert main(["certs", "--out", str(out)]) == 0
    assert _mode(out) == 0o700
    keys = sorted(p.name for p in out.glob("*.key"))
    assert keys == ["blob.key", "ca.key", "connector.key", "gateway.key", "metadata.key",
                    "operator.key"]  # fmt: skip
    assert all(_mode(out / k) == 0o600 for k in keys)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["certs", "--out", str(out)]) == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_leaf_names_its_identity_and_its_hosts(tmp_path: Path) -> None:
    out = tmp_path / "tls"
    code = main(["certs", "--out", str(out), "--identity", "client:ci", "--host", "pkg.internal"])
    assert code == 0
    cert = _cert(files_for(out, "client:ci").cert)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "client:ci"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [
        "spiffe://packyard/client:ci"
    ]
    assert "pkg.internal" in san.get_values_for_type(x509.DNSName)
    assert ipaddress.ip_address("127.0.0.1") in san.get_values_for_type(x509.IPAddress)
    cert.verify_directly_issued_by(_cert(out / "ca.pem"))


def test_export_gives_each_identity_only_its_own_key(tmp_path: Path) -> None:
    out, export = tmp_path / "ca", tmp_path / "export"
    assert main(["certs", "--out", str(out), "--export", str(export)]) == 0
    gateway = export / "gateway"
    assert sorted(p.name for p in gateway.iterdir()) == ["ca.crt", "tls.crt", "tls.key"]
    assert _mode(gateway / "tls.key") == 0o600
    assert (gateway / "tls.key").read_bytes() == (out / "gateway.key").read_bytes()
    assert not (export / "ca.key").exists()


def test_a_leaf_from_another_ca_is_reissued(tmp_path: Path) -> None:
    out = tmp_path / "tls"
    first = ensure_material(out, ["gateway"])["gateway"].cert.read_bytes()
    (out / "ca.key").unlink()
    (out / "ca.pem").unlink()
    ensure_material(out, ["gateway"])
    assert (out / "gateway.pem").read_bytes() != first
    _cert(out / "gateway.pem").verify_directly_issued_by(_cert(out / "ca.pem"))


def test_unknown_identities_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TlsError):
        ensure_material(tmp_path, ["root"])
    assert main(["certs", "--out", str(tmp_path / "x"), "--identity", "Client:Bad"]) == 1


def test_services_refuse_to_start_without_tls_settings() -> None:
    with pytest.raises(TlsError, match="PACKYARD_TLS_CA, PACKYARD_TLS_CERT, PACKYARD_TLS_KEY"):
        ServiceSettings(tls_ca="", tls_cert="", tls_key="").tls()
