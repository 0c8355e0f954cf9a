#!/bin/sh
# The image's entrypoint: secrets from files, then the command (default: complaints serve).
# PGPASSWORD_FILE (a Docker secret, e.g. /run/secrets/db_password) becomes PGPASSWORD, which libpq
# (psycopg) uses when DATABASE_URL carries no password: the password is in no environment file,
# no compose file and no `docker inspect`.
set -eu
if [ -n "${PGPASSWORD_FILE:-}" ]; then
    if [ ! -r "$PGPASSWORD_FILE" ]; then
        echo "refusing to start: PGPASSWORD_FILE=$PGPASSWORD_FILE is not readable by uid $(id -u): make the secret readable by uid 10001 (the manual, Operations, Containers)" >&2
        exit 1
    fi
    PGPASSWORD=$(cat "$PGPASSWORD_FILE")
    export PGPASSWORD
fi
exec "$@"
