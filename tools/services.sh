#!/usr/bin/env bash
# Find or start the PostgreSQL and Redis servers the project needs.
#
#   tools/services.sh          find/start both, print `export DATABASE_URL=...` and
#                              `export REDIS_URL=...` on stdout (use: eval "$(tools/services.sh)")
#   tools/services.sh stop     stop the project-local servers, if running
#   tools/services.sh status   say which project-local servers are running, and where
#
# Order of preference, for each service separately:
#   1. DATABASE_URL / REDIS_URL already in the environment: used as they are.
#   2. A server on the standard port of 127.0.0.1 (5432 / 6379): used, database
#      `callcenter` created if missing.
#   3. A project-local server (PostgreSQL on 54329, Redis on 63799), created on the
#      first run and reused afterwards (data kept). Redis lives under .local/redis.
#      PostgreSQL lives under .local/pg, except as root: PostgreSQL refuses to run as
#      root, so it runs as the `postgres` user, which cannot reach a project under
#      /root (mode 700) or in another user's home. As root the cluster therefore lives
#      in /var/lib/callcenter-dev/<project dir>-<hash of the project path>/pg, owned by
#      postgres (the file `project` beside it names the checkout). /var/lib rather than
#      /var/tmp: nothing cleans it, and root never chowns in a world-writable directory.
#      A cluster created under .local/pg by an earlier version stays there.
#
# Only the export lines go to stdout; every message goes to stderr so that eval
# never sees them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"

is_root() { [ "$(id -u)" -eq 0 ]; }

# Where the project-local cluster lives (see the header).
pg_dir() {
    if ! is_root || [ -f "$LOCAL/pg/data/PG_VERSION" ]; then
        echo "$LOCAL/pg"
        return
    fi
    local name hash
    name="$(basename "$ROOT" | tr -c 'A-Za-z0-9._\n-' _)"
    hash="$(printf %s "$ROOT" | sha256sum | cut -c1-12)"
    echo "/var/lib/callcenter-dev/$name-$hash/pg"
}

PG_DIR="$(pg_dir)"
PG_DATA="$PG_DIR/data"
PG_SOCK="$PG_DIR/run"          # unix socket directory of the local cluster
PG_LOG="$PG_DIR/postgres.log"
PG_PORT=54329
PG_DB=callcenter

REDIS_DIR="$LOCAL/redis"
REDIS_PORT=63799
REDIS_PID="$REDIS_DIR/redis.pid"
REDIS_LOG="$REDIS_DIR/redis.log"

log() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- probes
# Plain TCP probe through bash's /dev/tcp, so no client binary is required.
# `timeout` bounds it in case a firewall drops packets instead of refusing.
tcp_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

pg_ready() {  # host port
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$1" -p "$2" -t 2
    else
        tcp_open "$1" "$2"
    fi
}

# Redis answers "+PONG" to an inline PING; a bare open port could be anything.
redis_ready() {  # host port
    timeout 2 bash -c '
        exec 3<>"/dev/tcp/$1/$2" || exit 1
        printf "PING\r\n" >&3
        IFS= read -r line <&3
        [[ "$line" == "+PONG"* ]]
    ' _ "$1" "$2" 2>/dev/null
}

# ---------------------------------------------------------------- binaries
# Debian keeps initdb/pg_ctl out of PATH, under /usr/lib/postgresql/<ver>/bin;
# take the newest version there when PATH has none.
pg_bindir() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"
        return 0
    fi
    local d
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
        echo "$d"
        return 0
    fi
    return 1
}

# Install what is missing when we may (root), else say exactly what is needed.
ensure_binaries() {
    local need_pg=$1 need_redis=$2 pkgs=()
    if [ "$need_pg" = 1 ] && ! pg_bindir >/dev/null; then pkgs+=(postgresql); fi
    if [ "$need_redis" = 1 ] && ! command -v redis-server >/dev/null 2>&1; then pkgs+=(redis-server); fi
    [ "${#pkgs[@]}" -eq 0 ] && return 0

    if ! is_root; then
        die "no server found and ${pkgs[*]} not installed. Install it (Debian/Ubuntu: sudo apt-get install ${pkgs[*]}), or start your own servers and set DATABASE_URL / REDIS_URL."
    fi
    log "installing ${pkgs[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    # Package lists may be missing or stale on a fresh machine: update and retry once.
    apt-get install -y -q "${pkgs[@]}" >&2 \
        || { apt-get update -q >&2 && apt-get install -y -q "${pkgs[@]}" >&2; } \
        || die "apt-get install ${pkgs[*]} failed"
}

# ---------------------------------------------------------------- users
# PostgreSQL refuses to run as root, so as root we act as an unprivileged user:
# the distribution's `postgres` user, created if missing.
PG_USER=""
pg_pick_user() {
    if ! is_root; then
        PG_USER="$(id -un)"
        return
    fi
    PG_USER=postgres
    if ! id "$PG_USER" >/dev/null 2>&1; then
        log "creating system user $PG_USER to run the local PostgreSQL"
        useradd --system --home-dir "$PG_DIR" --no-create-home --shell /bin/sh "$PG_USER" >&2 \
            || die "could not create user $PG_USER"
    fi
}

# Run a command as the cluster's owner (a no-op wrapper when not root). From /: the owner may
# not be allowed into the current directory (a project under /root), and pg_ctl would say so.
as_pg() {
    if is_root; then
        (cd / && runuser -u "$PG_USER" -- "$@")
    else
        "$@"
    fi
}

# ---------------------------------------------------------------- database
# Create database $PG_DB when missing. psql when present, else psycopg2 from the venv.
ensure_database() {  # host port
    local host=$1 port=$2
    if command -v psql >/dev/null 2>&1; then
        local exists
        exists="$(psql -X -q -t -A -h "$host" -p "$port" -U postgres -d postgres \
            -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" \
            || die "cannot connect to PostgreSQL on $host:$port as user postgres without a password; set DATABASE_URL"
        if [ "$exists" != 1 ]; then
            log "creating database $PG_DB on $host:$port"
            psql -X -q -h "$host" -p "$port" -U postgres -d postgres -c "CREATE DATABASE $PG_DB" >&2
        fi
    elif [ -x "$ROOT/.venv/bin/python" ]; then
        "$ROOT/.venv/bin/python" - "$host" "$port" "$PG_DB" <<'EOF' >&2 \
            || die "cannot create database $PG_DB on $host:$port; set DATABASE_URL"
import sys
import psycopg2
host, port, name = sys.argv[1], sys.argv[2], sys.argv[3]
conn = psycopg2.connect(host=host, port=port, user="postgres", dbname="postgres")
conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction
with conn.cursor() as cur:
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    if cur.fetchone() is None:
        print(f"services: creating database {name} on {host}:{port}")
        cur.execute(f'CREATE DATABASE "{name}"')
EOF
    else
        log "neither psql nor .venv with psycopg2 found: not checking that database $PG_DB exists"
    fi
}

# ---------------------------------------------------------------- local PostgreSQL
pg_local_running() {
    [ -f "$PG_DATA/PG_VERSION" ] && as_pg "$BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

start_local_pg() {
    BIN="$(pg_bindir)" || die "initdb/pg_ctl not found"
    pg_pick_user
    mkdir -p "$PG_DIR"
    if is_root; then
        if [ "$PG_DIR" != "$LOCAL/pg" ]; then
            printf '%s\n' "$ROOT" >"$(dirname "$PG_DIR")/project"
        fi
        # Not recursive: everything inside is created by $PG_USER itself.
        chown "$PG_USER" "$PG_DIR"
        as_pg test -w "$PG_DIR" \
            || die "user $PG_USER cannot write $PG_DIR (a parent directory is not searchable by it); set DATABASE_URL, or move $PG_DIR away to have a new cluster made outside the project"
    fi

    if [ ! -f "$PG_DATA/PG_VERSION" ]; then
        log "creating local PostgreSQL cluster in $PG_DATA (owner: $PG_USER)"
        # Trust auth: the server only listens on loopback and on a socket beside its data.
        # UTF8 with the C locale works on any machine, whatever locales are generated.
        as_pg "$BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --no-locale \
            >"$PG_DIR/initdb.log" 2>&1 \
            || die "initdb failed; see $PG_DIR/initdb.log"
        # Settings live in the cluster's own config, so a bare `pg_ctl start` by hand
        # brings it back on the same port and socket.
        local sockdir="$PG_SOCK"
        # A unix socket path is limited to 107 bytes; on a deep checkout go TCP-only.
        if [ "${#PG_SOCK}" -gt 90 ]; then
            log "project path too long for a unix socket; the local cluster listens on TCP only"
            sockdir=""
        fi
        cat >>"$PG_DATA/postgresql.conf" <<EOF

# --- added by tools/services.sh (project-local development cluster) ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$sockdir'
# Losing the last few commits after an OS crash is fine for development/tests,
# waiting for each commit to reach the disk is not.
synchronous_commit = off
EOF
    fi

    if pg_local_running; then
        # Running, but maybe in another network namespace (then 127.0.0.1 here is empty).
        pg_ready 127.0.0.1 "$PG_PORT" \
            || die "the local PostgreSQL in $PG_DATA runs but does not answer on 127.0.0.1:$PG_PORT here (started in another network namespace?); stop it there with 'make stop'"
        log "reusing local PostgreSQL on 127.0.0.1:$PG_PORT (data: $PG_DATA)"
    else
        # The socket directory is made before each start: it is not part of the data.
        as_pg mkdir -p "$PG_SOCK"
        log "starting local PostgreSQL on 127.0.0.1:$PG_PORT (data: $PG_DATA, log: $PG_LOG)"
        as_pg "$BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null \
            || die "PostgreSQL did not start; see $PG_LOG"
    fi
    ensure_database 127.0.0.1 "$PG_PORT"
}

stop_local_pg() {
    [ -f "$PG_DATA/PG_VERSION" ] || return 0
    BIN="$(pg_bindir)" || return 0
    # The cluster belongs to whoever owns its data directory.
    if is_root; then PG_USER="$(stat -c %U "$PG_DATA")"; else PG_USER="$(id -un)"; fi
    if pg_local_running; then
        log "stopping local PostgreSQL"
        as_pg "$BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
    fi
}

# ---------------------------------------------------------------- local Redis
redis_local_pid() {
    local pid
    [ -f "$REDIS_PID" ] || return 1
    pid="$(cat "$REDIS_PID")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start_local_redis() {
    mkdir -p "$REDIS_DIR"
    if redis_local_pid >/dev/null; then
        redis_ready 127.0.0.1 "$REDIS_PORT" \
            || die "the local Redis (pid $(cat "$REDIS_PID")) does not answer on 127.0.0.1:$REDIS_PORT here (started in another network namespace?); stop it there with 'make stop'"
        log "reusing local Redis on 127.0.0.1:$REDIS_PORT"
        return
    fi
    log "starting local Redis on 127.0.0.1:$REDIS_PORT (log: $REDIS_LOG)"
    # Default snapshotting into --dir keeps the data across restarts, like the cluster.
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
        --dir "$REDIS_DIR" --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" \
        || die "redis-server did not start; see $REDIS_LOG"
    local i
    for i in $(seq 50); do
        redis_ready 127.0.0.1 "$REDIS_PORT" && return 0
        sleep 0.2
    done
    die "Redis did not answer on 127.0.0.1:$REDIS_PORT; see $REDIS_LOG"
}

stop_local_redis() {
    local pid i
    pid="$(redis_local_pid)" || return 0
    log "stopping local Redis"
    kill -TERM "$pid"   # Redis saves its snapshot on SIGTERM, then exits
    for i in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    die "Redis (pid $pid) did not stop"
}

# ---------------------------------------------------------------- main
cmd_env() {
    local db_url="${DATABASE_URL:-}" redis_url="${REDIS_URL:-}"
    local need_local_pg=0 need_local_redis=0

    if [ -n "$db_url" ]; then
        log "using DATABASE_URL from the environment"
    elif pg_ready 127.0.0.1 5432; then
        log "using PostgreSQL on 127.0.0.1:5432"
        ensure_database 127.0.0.1 5432
        db_url="postgres://postgres@127.0.0.1:5432/$PG_DB"
    else
        need_local_pg=1
    fi

    if [ -n "$redis_url" ]; then
        log "using REDIS_URL from the environment"
    elif redis_ready 127.0.0.1 6379; then
        log "using Redis on 127.0.0.1:6379"
        redis_url="redis://127.0.0.1:6379/0"
    else
        need_local_redis=1
    fi

    ensure_binaries "$need_local_pg" "$need_local_redis"
    if [ "$need_local_pg" = 1 ]; then
        start_local_pg
        db_url="postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB"
    fi
    if [ "$need_local_redis" = 1 ]; then
        start_local_redis
        redis_url="redis://127.0.0.1:$REDIS_PORT/0"
    fi

    printf 'export DATABASE_URL=%q\n' "$db_url"
    printf 'export REDIS_URL=%q\n' "$redis_url"
}

cmd_status() {
    if [ -f "$PG_DATA/PG_VERSION" ] && BIN="$(pg_bindir)"; then
        if is_root; then PG_USER="$(stat -c %U "$PG_DATA")"; fi
        if pg_local_running; then log "local PostgreSQL: running (port $PG_PORT, data: $PG_DATA)"; else log "local PostgreSQL: stopped (data: $PG_DATA)"; fi
    else
        log "local PostgreSQL: not created (would be in $PG_DATA)"
    fi
    if redis_local_pid >/dev/null; then log "local Redis: running (port $REDIS_PORT)"; else log "local Redis: stopped"; fi
}

case "${1:-env}" in
    env) cmd_env ;;
    stop) stop_local_pg; stop_local_redis ;;
    status) cmd_status ;;
    *) die "usage: $0 [env|stop|status]" ;;
esac
