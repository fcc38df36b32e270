"""``python -m packyard.common.healthcheck ADDR``: exit 0 when the gRPC server is SERVING.

Used by container health checks so the image needs no grpc_health_probe binary.
"""

from __future__ import annotations

import asyncio
import sys

from packyard.common.grpc import check_health


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python -m packyard.common.healthcheck HOST:PORT", file=sys.stderr)
        return 2
    return 0 if asyncio.run(check_health(sys.argv[1])) else 1


if __name__ == "__main__":
    raise SystemExit(main())
