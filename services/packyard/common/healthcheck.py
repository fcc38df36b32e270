"""``python -m packyard.common.healthcheck ADDR``: exit 0 when the gRPC server is SERVING.

Used by container health checks so the image needs no grpc_health_probe binary. It presents
the process's own certificate: PACKYARD_TLS_CA, PACKYARD_TLS_CERT and PACKYARD_TLS_KEY.
"""

from __future__ import annotations

import asyncio
import sys

from packyard.common.grpc import check_health
from packyard.common.settings import ServiceSettings
from packyard.common.tls_files import TlsError


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python -m packyard.common.healthcheck HOST:PORT", file=sys.stderr)
        return 2
    try:
        tls = ServiceSettings().tls()
        return 0 if asyncio.run(check_health(sys.argv[1], tls)) else 1
    except TlsError as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
