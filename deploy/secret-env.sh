#!/bin/sh
# Compose entrypoint wrapper (docker-compose.yml mounts it as a config): exports each secret
# file /run/secrets/NAME as the environment variable NAME, then runs the command. Packyard's
# settings and NATS's config read variables, not files; this keeps the credentials out of the
# compose file, `docker inspect` and `docker compose config`.
set -eu
for file in "${SECRET_ENV_DIR:-/run/secrets}"/*; do
  [ -f "$file" ] || continue
  name="$(basename "$file")"
  export "$name=$(cat "$file")"
done
exec "$@"
