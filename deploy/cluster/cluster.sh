#!/usr/bin/env bash
# A Gatehouse cluster on one machine: PostgreSQL, three Gatehouse nodes on
# loopback ports and nginx round-robining between them. For trying the
# topology out and for the cluster tests; docs/DEPLOYMENT.md explains it.
#
#   cluster.sh start          start everything (PostgreSQL, migrate, nodes, nginx)
#   cluster.sh stop           stop everything and delete the throwaway data
#   cluster.sh status         what runs, and each node's /readyz
#   cluster.sh kill-node N    SIGKILL node N (1-3), as a crash would
#   cluster.sh start-node N   start node N again
#   cluster.sh pg-stop        stop the throwaway PostgreSQL (nodes keep running)
#   cluster.sh pg-start       start it again
#
# Settings (environment):
#   CLUSTER_DIR            where everything lives (default /tmp/gatehouse-cluster)
#   CLUSTER_DATABASE_URL   an existing PostgreSQL database to use; unset: a
#                          throwaway cluster (initdb + pg_ctl) in CLUSTER_DIR
#   CLUSTER_PG_PORT        the throwaway cluster's port (default 55432)
#   CLUSTER_LB_PORT        nginx's port, the issuer's (default 18080)
#   CLUSTER_NODE_PORTS     the nodes' ports (default "18081 18082 18083")
#   CLUSTER_METRICS_PORTS  their metrics ports (default "19081 19082 19083")
#   GATEHOUSE_BIN          the binary (default: gatehouse on PATH, else
#                          target/release or target/debug of this checkout)
# Any GATEHOUSE_* / GATEHOUSE__* setting in the environment reaches every
# node (for example GATEHOUSE__HOUSEKEEPING__INTERVAL_SECS=60).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${CLUSTER_DIR:-/tmp/gatehouse-cluster}"
PG_PORT="${CLUSTER_PG_PORT:-55432}"
LB_PORT="${CLUSTER_LB_PORT:-18080}"
read -r -a NODE_PORTS <<<"${CLUSTER_NODE_PORTS:-18081 18082 18083}"
read -r -a METRICS_PORTS <<<"${CLUSTER_METRICS_PORTS:-19081 19082 19083}"
ISSUER="http://127.0.0.1:${LB_PORT}"

die() {
    echo "cluster.sh: $*" >&2
    exit 1
}

gatehouse_bin() {
    if [ -n "${GATEHOUSE_BIN:-}" ]; then
        echo "$GATEHOUSE_BIN"
    elif command -v gatehouse >/dev/null 2>&1; then
        command -v gatehouse
    elif [ -x "$ROOT/target/release/gatehouse" ]; then
        echo "$ROOT/target/release/gatehouse"
    elif [ -x "$ROOT/target/debug/gatehouse" ]; then
        echo "$ROOT/target/debug/gatehouse"
    else
        die "no gatehouse binary: build it (cargo build --release) or set GATEHOUSE_BIN"
    fi
}

# PostgreSQL's server programs (initdb, pg_ctl) are off PATH on Debian.
pg_bin() {
    local found
    if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/$1" ]; then
        echo "$(pg_config --bindir)/$1"
        return
    fi
    found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$found" ] && [ -x "$found/$1" ] || die "$1 not found (apt-get install postgresql)"
    echo "$found/$1"
}

# initdb and pg_ctl refuse to run as root: run them as postgres then.
as_pg_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

throwaway() {
    [ -z "${CLUSTER_DATABASE_URL:-}" ]
}

database_url() {
    if throwaway; then
        echo "postgres://postgres@127.0.0.1:${PG_PORT}/gatehouse"
    else
        echo "$CLUSTER_DATABASE_URL"
    fi
}

# Each node names itself to PostgreSQL (pg_stat_activity.application_name).
node_database_url() {
    local url
    url="$(database_url)"
    case "$url" in
    *\?*) echo "${url}&application_name=gatehouse-node-$1" ;;
    *) echo "${url}?application_name=gatehouse-node-$1" ;;
    esac
}

pg_start() {
    throwaway || die "CLUSTER_DATABASE_URL is set: that PostgreSQL is not ours to start"
    local data="$DIR/pg"
    if [ ! -f "$data/PG_VERSION" ]; then
        mkdir -p "$data"
        [ "$(id -u)" = 0 ] && chown postgres: "$DIR" "$data"
        as_pg_owner "$(pg_bin initdb)" -D "$data" -U postgres -A trust --no-sync >"$DIR/initdb.log" 2>&1 ||
            die "initdb failed: see $DIR/initdb.log"
    fi
    as_pg_owner "$(pg_bin pg_ctl)" -D "$data" -l "$DIR/pg.log" -w -t 30 \
        -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $data -c fsync=off" start >/dev/null ||
        die "PostgreSQL did not start: see $DIR/pg.log"
    if ! "$(pg_bin psql 2>/dev/null || echo psql)" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'gatehouse'" postgres | grep -q 1; then
        "$(pg_bin createdb 2>/dev/null || echo createdb)" -h 127.0.0.1 -p "$PG_PORT" -U postgres gatehouse
    fi
}

pg_stop() {
    throwaway || die "CLUSTER_DATABASE_URL is set: that PostgreSQL is not ours to stop"
    [ -f "$DIR/pg/postmaster.pid" ] || return 0
    as_pg_owner "$(pg_bin pg_ctl)" -D "$DIR/pg" -m fast -w stop >/dev/null
}

master_key() {
    if [ ! -s "$DIR/master.key" ]; then
        (umask 077 && head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$DIR/master.key")
    fi
    cat "$DIR/master.key"
}

start_node() {
    local n="$1" i=$(($1 - 1))
    local port="${NODE_PORTS[$i]}" metrics="${METRICS_PORTS[$i]}"
    mkdir -p "$DIR/node-$n"
    # Every node: the same database, master key and issuer; nginx on
    # loopback is the only proxy, so forwarded addresses are believed from
    # it alone.
    GATEHOUSE_DATABASE_URL="$(node_database_url "$n")" \
        GATEHOUSE_MASTER_KEY="$(master_key)" \
        GATEHOUSE_ISSUER="$ISSUER" \
        GATEHOUSE_LISTEN="127.0.0.1:$port" \
        GATEHOUSE_METRICS_LISTEN="127.0.0.1:$metrics" \
        GATEHOUSE_DATA_DIR="$DIR/node-$n" \
        GATEHOUSE__SERVER__TRUSTED_PROXIES="${GATEHOUSE__SERVER__TRUSTED_PROXIES:-127.0.0.1/32}" \
        nohup "$(gatehouse_bin)" serve >>"$DIR/node-$n.log" 2>&1 </dev/null &
    echo $! >"$DIR/node-$n.pid"
}

wait_ready() {
    local url="$1" what="$2"
    for _ in $(seq 1 150); do
        if curl -fsS -m 2 "$url" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    die "$what is not ready at $url after 30 s"
}

write_nginx_conf() {
    mkdir -p "$DIR/nginx"
    {
        echo "daemon on;"
        echo "worker_processes 1;"
        echo "pid $DIR/nginx/nginx.pid;"
        echo "error_log $DIR/nginx/error.log warn;"
        echo "events { worker_connections 1024; }"
        echo "http {"
        echo "    access_log $DIR/nginx/access.log;"
        for temp in client_body proxy fastcgi uwsgi scgi; do
            echo "    ${temp}_temp_path $DIR/nginx/${temp}_temp;"
        done
        echo "    upstream gatehouse {"
        for port in "${NODE_PORTS[@]}"; do
            # A node that fails is left out for 2 s, then tried again.
            echo "        server 127.0.0.1:$port max_fails=1 fail_timeout=2s;"
        done
        echo "        keepalive 16;"
        echo "    }"
        echo "    server {"
        echo "        listen 127.0.0.1:$LB_PORT;"
        echo "        location / {"
        echo "            proxy_pass http://gatehouse;"
        echo "            proxy_http_version 1.1;"
        echo "            proxy_set_header Connection \"\";"
        echo "            proxy_set_header Host \$http_host;"
        echo "            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;"
        echo "            proxy_set_header X-Forwarded-Proto \$scheme;"
        # Retried on the next node: a refused or dropped connection, a
        # timeout, a 502/504. Not a 503: a node answers 503 when the
        # database is out of reach, and so would every other node. nginx
        # never retries a POST (not idempotent) once it was sent, so the
        # balancer never redeems a code twice.
        echo "            proxy_next_upstream error timeout http_502 http_504;"
        echo "            proxy_next_upstream_tries 3;"
        echo "            proxy_connect_timeout 1s;"
        echo "            proxy_read_timeout 30s;"
        echo "        }"
        echo "    }"
        echo "}"
    } >"$DIR/nginx/nginx.conf"
}

nginx_bin() {
    command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } ||
        die "nginx not found (apt-get install nginx-light)"
}

start() {
    mkdir -p "$DIR"
    throwaway && pg_start
    GATEHOUSE_DATABASE_URL="$(database_url)" GATEHOUSE_MASTER_KEY="$(master_key)" \
        GATEHOUSE_DATA_DIR="$DIR" "$(gatehouse_bin)" migrate >/dev/null
    for n in $(seq 1 "${#NODE_PORTS[@]}"); do
        start_node "$n"
    done
    for n in $(seq 1 "${#NODE_PORTS[@]}"); do
        wait_ready "http://127.0.0.1:${NODE_PORTS[$((n - 1))]}/readyz" "node $n"
    done
    write_nginx_conf
    "$(nginx_bin)" -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -e "$DIR/nginx/error.log"
    wait_ready "$ISSUER/readyz" "nginx"
    echo "cluster up: $ISSUER (nodes on ${NODE_PORTS[*]}, database $(database_url))"
}

stop_pidfile() {
    local file="$1" signal="${2:-TERM}"
    if [ -f "$file" ]; then
        local pid
        pid="$(cat "$file")"
        if kill -0 "$pid" 2>/dev/null; then
            kill "-$signal" "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.2
            done
            # Not gone after 10 s (a graceful stop waiting on a database
            # that is down): end it.
            kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$file"
    fi
}

stop() {
    [ -d "$DIR" ] || return 0
    stop_pidfile "$DIR/nginx/nginx.pid" QUIT
    for n in $(seq 1 "${#NODE_PORTS[@]}"); do
        stop_pidfile "$DIR/node-$n.pid" TERM
    done
    if throwaway; then
        pg_stop || true
        rm -rf "$DIR"
    fi
    echo "cluster stopped"
}

status() {
    for n in $(seq 1 "${#NODE_PORTS[@]}"); do
        local port="${NODE_PORTS[$((n - 1))]}" ready
        ready="$(curl -sS -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz" 2>/dev/null || true)"
        echo "node $n  127.0.0.1:$port  readyz ${ready:-down}"
    done
    echo "nginx   $ISSUER  readyz $(curl -sS -m 2 -o /dev/null -w '%{http_code}' "$ISSUER/readyz" 2>/dev/null || echo down)"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
kill-node) stop_pidfile "$DIR/node-${2:?node number}.pid" KILL ;;
start-node)
    start_node "${2:?node number}"
    wait_ready "http://127.0.0.1:${NODE_PORTS[$(($2 - 1))]}/readyz" "node $2"
    ;;
pg-stop) pg_stop ;;
pg-start) pg_start ;;
*)
    sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
