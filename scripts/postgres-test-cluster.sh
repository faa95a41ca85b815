#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the service's tests, listening only on a Unix socket in DIR (no TCP port, so
# test runs side by side never collide):
#   scripts/postgres-test-cluster.sh start DIR   # initdb DIR/data (trust auth, superuser "postgres"), start it
#   scripts/postgres-test-cluster.sh stop DIR
# PostgreSQL refuses to run as root, so as root the server runs as Debian's `postgres` user (runuser); as anyone
# else it runs as that user. Exit status 3 when PostgreSQL is not installed (`apt-get install postgresql`).
set -euo pipefail
command=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] && command -v initdb >/dev/null; then bin=$(dirname "$(command -v initdb)"); fi
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
    echo "PostgreSQL is not installed (apt-get install postgresql)." >&2
    exit 3
fi
as=()
if [ "$(id -u)" -eq 0 ]; then
    as=(runuser -u postgres --)
    chown postgres "$dir"
fi
case $command in
start)
    "${as[@]}" "$bin/initdb" -D "$dir/data" --auth=trust -U postgres -E UTF8 --no-sync >"$dir/initdb.log" 2>&1
    # -F: no fsync (a test cluster); -h '': no TCP listener; -k: the socket's folder.
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -o "-k $dir -h '' -F -p 5432" -l "$dir/server.log" -w start >/dev/null
    ;;
stop)
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 64
    ;;
esac
