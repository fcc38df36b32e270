"""Certificate material for mutual TLS between the processes: a private CA and one leaf
certificate per identity.

An identity (``gateway``, ``metadata``, ``blob``, ``connector``, ``operator``, or
``client:NAME`` for an internal client) is the certificate's subject common name; servers
authorize calls by it (common/rpc_access.py). Each leaf also carries the SAN URI
``spiffe://packyard/IDENTITY`` (for tools and meshes that read SPIFFE ids) and the host names
it serves under (the identity itself, ``localhost``, 127.0.0.1, ::1 and any extra hosts), since
a channel checks the server's certificate against the host it dials.

A directory of material holds ``ca.pem`` (the trust bundle: every CA certificate still
trusted), ``ca.key`` (the signing CA's key) and ``IDENTITY.pem``/``IDENTITY.key`` per identity
(``:`` becomes ``_`` in file names). Directory mode 0700, keys 0600.

The paths, the identities and reading the files, which is all a running service needs, are in
tls_files.py: this module loads the ``cryptography`` library.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from packyard.common.tls_files import (
    CA_FILE,
    CA_KEY_FILE,
    TlsError,
    TlsFiles,
    check_identity,
    files_for,
)

SPIFFE_PREFIX = "spiffe://packyard/"
CA_VALID_DAYS = 3650
LEAF_VALID_DAYS = 397
# A leaf this close to expiry is reissued by ensure_material (on the next `packyard up`).
RENEW_BEFORE = datetime.timedelta(days=30)
_DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _new_key() -> ec.EllipticCurvePrivateKey:
    # P-256: small certificates and cheap handshakes.
    return ec.generate_private_key(ec.SECP256R1())


def new_ca(
    name: str = "packyard internal CA",
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _new_key()
    # Two CAs made in one second must differ to a verifier: the name carries a serial.
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"{x509.random_serial_number():x}"),
        ]
    )
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CA_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _san(identity: str, hosts: Iterable[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(SPIFFE_PREFIX + identity)]
    seen: set[str] = set()
    for host in ([] if identity.startswith("client:") else [identity]) + [*_DEFAULT_HOSTS, *hosts]:
        if not host or host in seen:
            continue
        seen.add(host)
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def issue(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    identity: str,
    hosts: Iterable[str] = (),
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A leaf for ``identity``, good as both server and client certificate."""
    check_identity(identity)
    key = _new_key()
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=LEAF_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(_san(identity, hosts), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    # Written beside the target and renamed: a process starting meanwhile reads old or new.
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _private_dir(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)


def _load_ca(directory: Path) -> tuple[list[x509.Certificate], ec.EllipticCurvePrivateKey]:
    """The trust bundle and the signing key (its CA is the bundle's first certificate)."""
    bundle = x509.load_pem_x509_certificates((directory / CA_FILE).read_bytes())
    key = serialization.load_pem_private_key((directory / CA_KEY_FILE).read_bytes(), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TlsError(f"{directory / CA_KEY_FILE}: not an EC key")
    return bundle, key


def _ensure_ca(directory: Path) -> tuple[list[x509.Certificate], ec.EllipticCurvePrivateKey]:
    _private_dir(directory)
    if (directory / CA_FILE).exists() and (directory / CA_KEY_FILE).exists():
        return _load_ca(directory)
    cert, key = new_ca()
    _write(directory / CA_KEY_FILE, _key_pem(key), 0o600)
    _write(directory / CA_FILE, _pem(cert), 0o644)
    return [cert], key


def _leaf_current(files: TlsFiles, signer: x509.Certificate) -> bool:
    if not (files.cert.exists() and files.key.exists()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
        cert.verify_directly_issued_by(signer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return cert.not_valid_after_utc - RENEW_BEFORE > _now()


def ensure_material(
    directory: Path, identities: Iterable[str], hosts: Iterable[str] = ()
) -> dict[str, TlsFiles]:
    """The CA and a leaf per identity in ``directory``, created when missing.

    Idempotent: existing material is reused, so a restart keeps its certificates; a leaf is
    reissued only when it is missing, near expiry, or not signed by the current signing CA.
    """
    bundle, key = _ensure_ca(directory)
    hosts = list(hosts)
    found: dict[str, TlsFiles] = {}
    for identity in identities:
        files = files_for(directory, identity)
        if not _leaf_current(files, bundle[0]):
            cert, leaf_key = issue(bundle[0], key, identity, hosts)
            _write(files.key, _key_pem(leaf_key), 0o600)
            _write(files.cert, _pem(cert), 0o644)
        found[identity] = files
    return found


def reissue(directory: Path, identities: Iterable[str], hosts: Iterable[str] = ()) -> None:
    """New leaves from the current signing CA, whatever the old ones were."""
    bundle, key = _load_ca(directory)
    for identity in identities:
        files = files_for(directory, identity)
        cert, leaf_key = issue(bundle[0], key, identity, list(hosts))
        _write(files.key, _key_pem(leaf_key), 0o600)
        _write(files.cert, _pem(cert), 0o644)


def add_ca(directory: Path) -> None:
    """Rotation step 1: a new signing CA, trusted alongside the old ones (leaves unchanged)."""
    bundle, _ = _load_ca(directory)
    cert, key = new_ca()
    _write(directory / CA_KEY_FILE, _key_pem(key), 0o600)
    _write(directory / CA_FILE, b"".join(_pem(c) for c in [cert, *bundle]), 0o644)


def drop_old_cas(directory: Path) -> None:
    """Rotation step 3: trust only the signing CA."""
    bundle, _ = _load_ca(directory)
    _write(directory / CA_FILE, _pem(bundle[0]), 0o644)


def export(directory: Path, identity: str, target: Path) -> TlsFiles:
    """``identity``'s material alone in ``target`` as ca.crt, tls.crt and tls.key (the layout
    of a Kubernetes TLS Secret), for a container that must see no other key."""
    files = files_for(directory, identity)
    _private_dir(target)
    out = TlsFiles(target / "ca.crt", target / "tls.crt", target / "tls.key")
    _write(out.ca, files.ca.read_bytes(), 0o644)
    _write(out.cert, files.cert.read_bytes(), 0o644)
    _write(out.key, files.key.read_bytes(), 0o600)
    return out


def identities_in(directory: Path) -> list[str]:
    """The identities that have a leaf in ``directory``."""
    found = []
    for cert in sorted(directory.glob("*.pem")):
        if cert.name != CA_FILE and cert.with_suffix(".key").exists():
            found.append(
                cert.stem.replace("_", ":", 1) if cert.stem.startswith("client_") else cert.stem
            )
    return found
