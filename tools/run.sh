#!/usr/bin/env bash
# Run the web server, the Celery worker and Celery beat together, in the foreground.
# Ctrl-C (or SIGTERM, SIGHUP) stops all three, including whatever they forked; if one of
# them dies on its own, the other two are stopped too.
#
# Called by `make run` once services, migrations and demo data are in place; it
# expects DATABASE_URL / REDIS_URL in the environment. PY and PORT come from make.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PY="${PY:-.venv/bin/python}"
PORT="${PORT:-8000}"
mkdir -p .local

# Read the demo logins now, before three processes start writing to the terminal.
logins="$("$PY" manage.py seed_demo --print-logins)"

pids=()

# True while any process of process group $1 is alive (zombies do not count:
# a container's PID 1 may never reap the orphans).
group_alive() {
    ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

stop_all() {
    trap - INT TERM HUP EXIT
    [ "${#pids[@]}" -gt 0 ] || return 0   # failed before anything was started
    local pgid i alive
    echo "run: stopping web server, Celery worker and beat" >&2
    # Each process leads its own group: signalling the group also reaches
    # runserver's autoreloader child and Celery's pool processes.
    for pgid in "${pids[@]}"; do kill -TERM -- "-$pgid" 2>/dev/null || true; done
    # Celery's warm shutdown finishes running tasks: give it a while, then force.
    for i in $(seq 100); do
        alive=0
        for pgid in "${pids[@]}"; do group_alive "$pgid" && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    if [ "$alive" = 1 ]; then
        echo "run: some processes ignored SIGTERM for 10 s; killing them" >&2
        for pgid in "${pids[@]}"; do kill -KILL -- "-$pgid" 2>/dev/null || true; done
    fi
    wait 2>/dev/null || true
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all; exit 129' HUP   # terminal closed: the children, in their own groups, would not hear it
trap 'stop_all' EXIT

# Job control on only while launching: it puts each background process in a
# process group of its own. It is switched off again so that the shell's own
# foreground commands (sleep, ps) stay in the terminal's group and Ctrl-C still
# reaches this script.
set -m
"$PY" manage.py runserver "0.0.0.0:$PORT" </dev/null &
pids+=($!)
"$PY" -m celery -A callcenter worker -l info </dev/null &
pids+=($!)
"$PY" -m celery -A callcenter beat -l info -s .local/celerybeat-schedule </dev/null &
pids+=($!)
set +m
web=${pids[0]}

# Print the address once the web server answers, so it is not lost above the start-up logs.
for i in $(seq 600); do
    kill -0 "$web" 2>/dev/null || break
    if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null; then
        cat >&2 <<EOF

============================================================
 Callcenter is running: http://127.0.0.1:$PORT/
 (listening on all interfaces, port $PORT)

$(sed 's/^/ /' <<<"$logins")

 Press Ctrl-C to stop the web server, Celery worker and beat.
============================================================

EOF
        break
    fi
    sleep 0.5
done

# Sit here until one of the three exits (or a signal arrives).
status=0
wait -n || status=$?
echo "run: a process exited (status $status); stopping the others" >&2
exit "$status"
