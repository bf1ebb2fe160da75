#!/bin/sh
# A Docker engine for the Docker backend, started only when none answers.
#
#   dockerd.sh         print the URL of an engine that answers; start a
#                              private one (socket, data and state under
#                              /run/pytest-quill and /var/lib/pytest-quill) if none does.
#                              A DOCKER_HOST set to another engine must answer: the
#                              script fails naming it rather than use another engine
#   dockerd.sh stop    stop the private engine this script started
#
# Runs as root, or re-runs itself through sudo. The URL goes to stdout (for
# `export DOCKER_HOST=$(dockerd.sh)`), everything else to stderr.
set -eu

STATE_DIR=/run/pytest-quill
SOCKET=$STATE_DIR/docker.sock
PRIVATE_URL=unix://$SOCKET
PIDFILE=$STATE_DIR/docker.pid
DAEMON_LOG=$STATE_DIR/dockerd.log
DATA_ROOT=/var/lib/pytest-quill/docker
WAIT_S=${QUILL_DOCKERD_WAIT_S:-60}

say() { echo "dockerd.sh: $*" >&2; }

# A URL as it may be shown: a password in it masked (as pytest_quill/secrets.py does).
shown() {
    printf '%s' "$1" | sed -E 's#(://[^:/@]*):[^/]*@#\1:***@#'
}

answers() {
    docker --host "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

as_root() {
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { say "needs root (or sudo) to $1"; exit 1; }
        exec sudo QUILL_DOCKERD_WAIT_S="$WAIT_S" "$0" "$@"
    fi
}

# Who may use the engine (it is root on this machine): root and the docker group
# when there is one, else root alone; never the caller's primary group, which
# other users share (users, staff).
socket_group() {
    if getent group docker >/dev/null 2>&1; then echo docker; else echo root; fi
}

start() {
    # A DOCKER_HOST is a choice: it answers, or that is the error (never another engine).
    # Only the private engine's own URL is ours to start.
    if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "$PRIVATE_URL" ]; then
        if answers "$DOCKER_HOST"; then
            echo "$DOCKER_HOST"
            return 0
        fi
        say "DOCKER_HOST=$(shown "$DOCKER_HOST") does not answer; start that engine, or unset DOCKER_HOST to use the private engine ($PRIVATE_URL) or the default socket"
        exit 1
    fi
    for url in "$PRIVATE_URL" unix:///var/run/docker.sock; do
        if answers "$url"; then
            echo "$url"
            return 0
        fi
    done
    command -v dockerd >/dev/null || { say "dockerd not installed (apt-get install docker.io)"; exit 1; }
    as_root start
    mkdir -p "$STATE_DIR" "$DATA_ROOT"
    # Two callers at once (xdist workers, CI steps): one starts, the other finds it.
    # The lock (fd 9) is not handed to dockerd, or it would be held as long as it runs.
    exec 9>"$STATE_DIR/start.lock"
    flock 9
    if answers "$PRIVATE_URL"; then
        echo "$PRIVATE_URL"
        return 0
    fi
    began=$(date +%s)
    group=$(socket_group)
    # setsid: the engine must outlive the shell (or CI step) that started it.
    setsid dockerd --host "$PRIVATE_URL" --group "$group" \
        --data-root "$DATA_ROOT" --exec-root "$STATE_DIR/exec" --pidfile "$PIDFILE" \
        >>"$DAEMON_LOG" 2>&1 </dev/null 9>&- &
    pid=$!
    while ! answers "$PRIVATE_URL"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            say "dockerd exited before answering; last lines of $DAEMON_LOG:"
            tail -n 5 "$DAEMON_LOG" >&2
            exit 1
        fi
        if [ $(( $(date +%s) - began )) -ge "$WAIT_S" ]; then
            say "dockerd did not answer on $SOCKET within ${WAIT_S}s (log: $DAEMON_LOG)"
            kill "$pid" 2>/dev/null || true
            exit 1
        fi
        sleep 0.2
    done
    say "started dockerd (pid $pid) on $SOCKET (0660 root:$group) in $(( $(date +%s) - began ))s (log: $DAEMON_LOG)"
    if [ -n "${SUDO_USER:-}" ] && ! id -nG "$SUDO_USER" | tr ' ' '\n' | grep -qx "$group"; then
        say "$SUDO_USER is not in group $group: use the engine as root, or add $SUDO_USER to the docker group (groupadd -f docker; usermod -aG docker $SUDO_USER; then log in again)"
    fi
    echo "$PRIVATE_URL"
}

stop() {
    [ -s "$PIDFILE" ] || { say "no private dockerd to stop ($PIDFILE absent)"; return 0; }
    as_root stop
    pid=$(cat "$PIDFILE")
    kill "$pid" 2>/dev/null || { say "dockerd $pid already gone"; rm -f "$PIDFILE"; return 0; }
    # dockerd stops its containers first (10 s each at most), then exits.
    waited=0
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge "$WAIT_S" ]; then
            say "dockerd $pid still running after ${WAIT_S}s: killing it"
            kill -9 "$pid" 2>/dev/null || true
            break
        fi
        sleep 1
        waited=$((waited + 1))
    done
    rm -f "$PIDFILE"
    say "stopped dockerd $pid"
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    *) say "usage: $0 [start|stop]"; exit 2 ;;
esac
