#!/usr/bin/env bash
# Starts (once) a throwaway PostgreSQL server on 127.0.0.1 for the keeper's tests and prints
# its URL. Installs the server from Debian's packages when it is missing. Idempotent and safe
# to call from several test processes at once.
#
#   FLASHFORGE_PG_PORT  port (default 55432)
#   FLASHFORGE_PG_DIR   data directory (default /tmp/flashforge-pg-$PORT)
set -euo pipefail

port="${FLASHFORGE_PG_PORT:-55432}"
dir="${FLASHFORGE_PG_DIR:-/tmp/flashforge-pg-$port}"
url="postgres://postgres@127.0.0.1:$port/postgres"

find_bin() {
    local b
    for b in /usr/lib/postgresql/*/bin; do
        if [ -x "$b/initdb" ]; then echo "$b"; return 0; fi
    done
    if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
    return 1
}

exec 9>"/tmp/flashforge-pg-$port.lock"
flock 9

bin="$(find_bin || true)"
if [ -z "$bin" ]; then
    echo "installing PostgreSQL from Debian's packages" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "PostgreSQL is not installed and this user cannot install it: run as root, or apt-get install postgresql" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 \
        || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2; }
    bin="$(find_bin)"
fi

# The server refuses to run as root: use the packages' postgres user then.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    echo "$url"
    exit 0
fi

if [ ! -f "$dir/PG_VERSION" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    as_owner "$bin/initdb" -D "$dir" -U postgres -A trust -E UTF8 --no-instructions >/dev/null
fi
as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c max_connections=200" start >/dev/null 9>&-
# A fresh start drops the databases earlier test runs left behind.
"$bin/psql" -q -X -At "$url" -c "SELECT datname FROM pg_database WHERE datname LIKE 'journal\_%'" \
    | while read -r db; do "$bin/psql" -q -X "$url" -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null; done
echo "$url"
