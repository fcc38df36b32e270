"""`packyard certs`: the mutual-TLS material for compose, Kubernetes without cert-manager,
and internal clients, from the same code `packyard up` uses (common/tls.py).

Rotation, one step per run, each followed by restarting the services one by one:
``--new-ca`` (a new signing CA, trusted alongside the old), then ``--reissue`` (every leaf
from the new CA), then ``--drop-old-cas``. docs/architecture.md explains why three steps.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from packyard.common.tls_files import STACK_IDENTITIES, TlsError


def add_certs_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    certs = commands.add_parser(
        "certs",
        help="create the CA and gRPC certificates (mutual TLS) in a directory",
        description="Create, once, a private CA and a certificate per identity in DIR (mode "
        "0700, keys 0600); existing material is kept. An identity is one of "
        f"{', '.join(STACK_IDENTITIES)} or client:NAME for an internal client.",
    )
    certs.add_argument("--out", required=True, help="directory for the material, e.g. DATA_DIR/tls")
    certs.add_argument(
        "--identity",
        action="append",
        default=None,
        help="issue for this identity (repeatable; default: the services and operator)",
    )
    certs.add_argument(
        "--host",
        action="append",
        default=[],
        help="extra host name or address the certificates serve under (repeatable)",
    )
    certs.add_argument(
        "--export",
        default=None,
        metavar="DIR",
        help="also copy each identity's material to DIR/IDENTITY/{ca.crt,tls.crt,tls.key}",
    )
    step = certs.add_mutually_exclusive_group()
    step.add_argument("--new-ca", action="store_true", help="rotation 1: add a new signing CA")
    step.add_argument("--reissue", action="store_true", help="rotation 2: reissue every leaf")
    step.add_argument(
        "--drop-old-cas", action="store_true", help="rotation 3: trust the new CA only"
    )


def run_certs(args: argparse.Namespace) -> int:
    # Imported here: every service starts through this CLI, and certificate making needs the
    # cryptography library (about 9 MB a process) that the services themselves never use.
    from packyard.common.tls import (
        add_ca,
        drop_old_cas,
        ensure_material,
        export,
        identities_in,
        reissue,
    )

    out = Path(args.out)
    try:
        if args.new_ca:
            add_ca(out)
        elif args.reissue:
            reissue(out, args.identity or identities_in(out), args.host)
        elif args.drop_old_cas:
            drop_old_cas(out)
        else:
            for identity, files in ensure_material(
                out, args.identity or STACK_IDENTITIES, args.host
            ).items():
                print(f"{identity}: {files.cert} {files.key}")
        if args.export:
            for identity in args.identity or identities_in(out):
                export(out, identity, Path(args.export) / identity.replace(":", "_"))
    except (TlsError, OSError) as exc:
        print(f"packyard certs: {exc}")
        return 1
    return 0
