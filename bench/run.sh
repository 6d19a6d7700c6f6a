#!/usr/bin/env bash
# Gatehouse throughput / latency / memory benchmark.
#
# Builds the release binary, starts it on a fresh SQLite data dir (and, with
# --postgres URL, on a fresh PostgreSQL database), registers a
# client_credentials client and a resource-server client, then drives the
# server with wrk on loopback:
#
#   discovery   GET  /.well-known/openid-configuration
#   jwks        GET  /jwks.json
#   token       POST /token       client_credentials, ES256 access token
#   introspect  POST /introspect  a pre-minted access token (active)
#   userinfo    GET  /userinfo    a user's access token, minted through the
#                                 code flow with curl (skipped if that fails)
#
# After each scenario it prints requests/s, p50/p90/p99 latency, the server's
# CPU time per request and its RSS (VmRSS, VmHWM); at the end a summary table.
#
# The machines are shared and noisy: compare ratios between scenarios of one
# run (e.g. token vs jwks), not absolute figures from different runs.
#
# Usage: bench/run.sh [--postgres URL] [--no-sqlite] [--duration 10s]
#                     [--warmup 2s] [--threads 2] [--connections 32]
#                     [--rev REV | --bin PATH | --no-build]
#
#   --postgres URL  also run on a fresh database created (and dropped) on the
#                   server of URL, e.g. postgres://postgres@127.0.0.1:5432/postgres
#   --no-sqlite     only PostgreSQL
#   --rev REV       build this commit (git archive, so the working tree may be
#                   mid-edit) instead of the working tree
#   --bin PATH      use this binary, build nothing
#   --no-build      use the last release build as it is
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR="$ROOT/bench"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/gatehouse-target}

PG_URL=""
BIN=""
REV=""
RUN_SQLITE=1
BUILD=1
DURATION=10s
WARMUP=2s
THREADS=2
CONNECTIONS=32

while [[ $# -gt 0 ]]; do
    case "$1" in
        --postgres) PG_URL=${2:?--postgres needs a URL}; shift 2 ;;
        --no-sqlite) RUN_SQLITE=0; shift ;;
        --no-build) BUILD=0; shift ;;
        --bin) BIN=${2:?--bin needs a path}; BUILD=0; shift 2 ;;
        --rev) REV=${2:?--rev needs a git revision}; shift 2 ;;
        --duration) DURATION=${2:?}; shift 2 ;;
        --warmup) WARMUP=${2:?}; shift 2 ;;
        --threads) THREADS=${2:?}; shift 2 ;;
        --connections) CONNECTIONS=${2:?}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

# Bounded: a scenario runs at most 10 s (plus its warm-up).
secs() { local d=$1; case "$d" in *s) d=${d%s} ;; *m) d=$(( ${d%m} * 60 )) ;; esac; echo "$d"; }
if (( $(secs "$DURATION") > 10 )); then
    echo "--duration is capped at 10s per scenario" >&2; exit 2
fi
if [[ -n $REV ]]; then
    REV=$(git -C "$ROOT" rev-parse "$REV^{commit}") || { echo "unknown revision $REV" >&2; exit 2; }
fi
if [[ $RUN_SQLITE == 0 && -z $PG_URL ]]; then
    echo "--no-sqlite needs --postgres URL" >&2; exit 2
fi

need() { command -v "$1" >/dev/null || { echo "missing tool: $1 ($2)" >&2; exit 1; }; }
need wrk "apt-get install -y wrk"
need curl "apt-get install -y curl"
need openssl "apt-get install -y openssl"
[[ -n $PG_URL ]] && need psql "apt-get install -y postgresql-client"

log() { printf '==> %s\n' "$*" >&2; }

# --- state and cleanup ------------------------------------------------------
WORK=$(mktemp -d /tmp/gatehouse-bench.XXXXXX)
SERVER_PID=""
PG_DB=""
FAILED=0

stop_server() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}

drop_pg_db() {
    if [[ -n $PG_DB ]]; then
        psql "$PG_URL" -v ON_ERROR_STOP=1 -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" \
            >/dev/null 2>&1 || echo "could not drop database $PG_DB" >&2
        PG_DB=""
    fi
}

cleanup() {
    local rc=$?
    stop_server
    drop_pg_db
    if [[ $rc == 0 && $FAILED == 0 ]]; then
        rm -rf "$WORK"
    else
        echo "logs kept in $WORK" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build ------------------------------------------------------------------
SOURCE="$ROOT"
if [[ $BUILD == 1 && -n $REV ]]; then
    # One stable directory per commit: cargo then rebuilds nothing the next
    # time the same commit is measured.
    SOURCE="${TMPDIR:-/tmp}/gatehouse-bench-src/$REV"
    if [[ ! -f $SOURCE/Cargo.toml ]]; then
        rm -rf "$SOURCE.tmp" && mkdir -p "$SOURCE.tmp"
        git -C "$ROOT" archive "$REV" | tar -x -C "$SOURCE.tmp"
        mv "$SOURCE.tmp" "$SOURCE"
    fi
fi
if [[ $BUILD == 1 ]]; then
    log "cargo build --release in $SOURCE (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
    (cd "$SOURCE" && cargo build --release --bin gatehouse)
    # A private copy: another build must not swap the binary mid-run.
    cp "$CARGO_TARGET_DIR/release/gatehouse" "$WORK/gatehouse"
    BIN="$WORK/gatehouse"
fi
BIN=${BIN:-$CARGO_TARGET_DIR/release/gatehouse}
[[ -x $BIN ]] || { echo "no release binary at $BIN (drop --no-build)" >&2; exit 1; }

# --- ports: fixed for the whole run, chosen free at start -------------------
port_in_use() { [[ -n $(ss -Htln "sport = :$1" 2>/dev/null) ]]; }
free_port() {
    local p
    for _ in $(seq 200); do
        p=$(( 20000 + RANDOM % 30000 ))
        if ! port_in_use "$p" && [[ " ${PICKED:-} " != *" $p "* ]]; then
            PICKED="${PICKED:-} $p"
            echo "$p"
            return
        fi
    done
    echo "no free port found" >&2
    exit 1
}
PICKED=""
PORT=$(free_port)
PICKED="$PORT"
METRICS_PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"

export GATEHOUSE_ISSUER="$BASE"
export GATEHOUSE_LISTEN="127.0.0.1:$PORT"
export GATEHOUSE_METRICS_LISTEN="127.0.0.1:$METRICS_PORT"
export GATEHOUSE__LOG__LEVEL=warn
unset RUST_LOG GATEHOUSE_MASTER_KEY GATEHOUSE_DATABASE_URL || true

API="https://api.bench.example"
BENCH_PASSWORD="bench-$(head -c 12 /dev/urandom | base64 -w0 | tr '+/' '-_')"
CLK_TCK=$(getconf CLK_TCK)

# --- helpers ------------------------------------------------------------------
gh() { "$BIN" "$@"; }

secret_from() { sed -n 's/^client_secret: //p' <<<"$1"; }

cpu_ticks() { # utime + stime of the server, in clock ticks
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$SERVER_PID/stat"
}
mem_kib() { # VmRSS VmHWM in KiB
    awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { print r, h }' "/proc/$SERVER_PID/status"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

start_server() {
    local name=$1
    "$BIN" serve >"$WORK/$name/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 150); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "server exited during start; log:" >&2
            cat "$WORK/$name/server.log" >&2
            exit 1
        fi
        if curl -fsS -o /dev/null "$BASE/readyz" 2>/dev/null; then
            return
        fi
        sleep 0.2
    done
    echo "server not ready after 30 s" >&2
    exit 1
}

# user_token BASIC_AUTH: signs bench-user in through the authorization code
# flow (PKCE, first-party client: no consent page) with curl, prints the
# access token (scope openid profile email). Any failure: prints nothing, 1.
user_token() {
    local auth=$1 jar="$WORK/cookies.txt" verifier challenge url next html csrf request code
    local redirect="http://127.0.0.1/bench-callback"
    verifier=$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')
    challenge=$(printf '%s' "$verifier" | openssl dgst -sha256 -binary | base64 -w0 | tr '+/' '-_' | tr -d '=')
    rm -f "$jar"
    url="$BASE/authorize?response_type=code&client_id=bench-web&redirect_uri=$redirect"
    url+="&scope=openid%20profile%20email&state=bench&nonce=bench"
    url+="&code_challenge=$challenge&code_challenge_method=S256"
    next=$(curl -sS -o /dev/null -c "$jar" -b "$jar" -w '%{redirect_url}' "$url") || return 1
    [[ $next == "$BASE/login?"* ]] || { echo "authorize did not ask for login: $next" >&2; return 1; }
    html=$(curl -fsS -c "$jar" -b "$jar" "$next") || return 1
    csrf=$(grep -o 'name="csrf_token" value="[^"]*"' <<<"$html" | sed 's/.*value="//; s/"$//')
    request=$(grep -o 'name="request" value="[^"]*"' <<<"$html" | sed 's/.*value="//; s/"$//')
    next=$(curl -sS -o /dev/null -c "$jar" -b "$jar" -w '%{redirect_url}' \
        --data-urlencode "request=$request" --data-urlencode "csrf_token=$csrf" \
        --data-urlencode "username=bench-user" --data-urlencode "password=$BENCH_PASSWORD" \
        "$BASE/login") || return 1
    for _ in 1 2 3; do
        [[ $next == "$BASE/"* ]] || break
        next=$(curl -sS -o /dev/null -c "$jar" -b "$jar" -w '%{redirect_url}' "$next") || return 1
    done
    [[ $next == "$redirect?"* ]] || { echo "sign-in did not reach the client: $next" >&2; return 1; }
    code=$(sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' <<<"$next")
    [[ -n $code ]] || { echo "no code in $next" >&2; return 1; }
    curl -fsS -H "Authorization: $auth" -d grant_type=authorization_code \
        --data-urlencode "code=$code" --data-urlencode "redirect_uri=$redirect" \
        --data-urlencode "code_verifier=$verifier" "$BASE/token" |
        sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}

declare -a SUMMARY=()
declare -A JWKS_RPS=()

# run_scenario BACKEND NAME PATH [METHOD BODY AUTH]
run_scenario() {
    local backend=$1 name=$2 path=$3 method=${4:-GET} body=${5:-} auth=${6:-}
    local url="$BASE$path" out line
    export BENCH_METHOD=$method BENCH_BODY=$body BENCH_AUTH=$auth

    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$BENCH_DIR/scenario.lua" "$url" \
        >"$WORK/$backend/$name.warmup.txt"
    local ticks0 ticks1
    ticks0=$(cpu_ticks)
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
        -s "$BENCH_DIR/scenario.lua" "$url")
    ticks1=$(cpu_ticks)
    unset BENCH_METHOD BENCH_BODY BENCH_AUTH
    printf '%s\n' "$out" >"$WORK/$backend/$name.wrk.txt"

    line=$(grep '^BENCH ' <<<"$out") || { echo "$out" >&2; echo "no BENCH line from wrk" >&2; exit 1; }
    local -A r=()
    local kv
    for kv in ${line#BENCH }; do r[${kv%%=*}]=${kv#*=}; done

    local errors=$(( r[connect_errors] + r[read_errors] + r[write_errors] + r[timeouts] ))
    local cpu_us_per_req
    cpu_us_per_req=$(awk -v t=$(( ticks1 - ticks0 )) -v hz="$CLK_TCK" -v n="${r[requests]}" \
        'BEGIN { if (n > 0) printf "%.0f", t / hz * 1e6 / n; else print "-" }')
    local rss hwm
    read -r rss hwm < <(mem_kib)

    [[ $name == jwks ]] && JWKS_RPS[$backend]=${r[rps]}
    local flag=""
    if (( r[status_errors] > 0 || errors > 0 )); then
        flag=" !"
        FAILED=1
    fi

    printf '%-10s %-11s %9s req/s  p50 %7s ms  p90 %7s ms  p99 %7s ms  cpu %6s us/req  RSS %6s MiB  HWM %6s MiB%s\n' \
        "$backend" "$name" "${r[rps]}" "$(ms "${r[p50_us]}")" "$(ms "${r[p90_us]}")" \
        "$(ms "${r[p99_us]}")" "$cpu_us_per_req" "$(mib "$rss")" "$(mib "$hwm")" "$flag"
    if [[ -n $flag ]]; then
        printf '    WARNING: %s non-2xx/3xx responses, %s socket errors/timeouts (see %s)\n' \
            "${r[status_errors]}" "$errors" "$WORK/$backend/$name.wrk.txt"
    fi
    SUMMARY+=("$backend|$name|${r[rps]}|${r[p50_us]}|${r[p90_us]}|${r[p99_us]}|$cpu_us_per_req|$rss|$hwm|${r[status_errors]}/$errors")
}

# bench_backend NAME DATABASE_URL   (empty URL: SQLite in the data dir)
bench_backend() {
    local name=$1 db_url=$2
    mkdir -p "$WORK/$name/data"
    export GATEHOUSE_DATA_DIR="$WORK/$name/data"
    if [[ -n $db_url ]]; then export GATEHOUSE_DATABASE_URL="$db_url"; else unset GATEHOUSE_DATABASE_URL; fi

    log "$name: migrate and register clients"
    gh migrate >/dev/null
    gh api add "$API" --name "Bench API" >/dev/null
    gh permission add "$API" reports:read >/dev/null
    gh role add reporter >/dev/null
    gh role allow reporter "$API" reports:read >/dev/null
    local out m2m_secret rs_secret web_secret
    out=$(gh client add bench-m2m --grant client_credentials --resource "$API")
    m2m_secret=$(secret_from "$out")
    gh client grant-role bench-m2m reporter >/dev/null
    out=$(gh client add bench-rs --grant client_credentials --introspect "$API")
    rs_secret=$(secret_from "$out")
    out=$(gh client add bench-web --redirect-uri http://127.0.0.1/bench-callback --skip-consent)
    web_secret=$(secret_from "$out")
    [[ -n $m2m_secret && -n $rs_secret && -n $web_secret ]] || { echo "could not read client secrets" >&2; exit 1; }
    printf '%s\n' "$BENCH_PASSWORD" |
        gh user add bench-user --email bench@example.com --name "Bench User" --password-stdin >/dev/null
    local m2m_auth rs_auth web_auth
    m2m_auth="Basic $(printf '%s:%s' bench-m2m "$m2m_secret" | base64 -w0)"
    rs_auth="Basic $(printf '%s:%s' bench-rs "$rs_secret" | base64 -w0)"
    web_auth="Basic $(printf '%s:%s' bench-web "$web_secret" | base64 -w0)"

    log "$name: start server on $BASE (metrics 127.0.0.1:$METRICS_PORT)"
    start_server "$name"
    sleep 1
    local rss hwm
    read -r rss hwm < <(mem_kib)
    printf '%-10s %-11s %9s        %-44s RSS %6s MiB  HWM %6s MiB\n' \
        "$name" "idle" "-" "" "$(mib "$rss")" "$(mib "$hwm")"
    SUMMARY+=("$name|idle|-|-|-|-|-|$rss|$hwm|-")

    # One real request per POST scenario first, so the benchmark measures the
    # success path, not an error.
    local token_body="grant_type=client_credentials&scope=reports%3Aread"
    local response token
    response=$(curl -fsS -H "Authorization: $m2m_auth" -d "$token_body" "$BASE/token")
    token=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' <<<"$response")
    [[ -n $token ]] || { echo "no access token: $response" >&2; exit 1; }
    response=$(curl -fsS -H "Authorization: $rs_auth" -d "token=$token" "$BASE/introspect")
    [[ $response == *'"active":true'* ]] || { echo "introspection not active: $response" >&2; exit 1; }

    # A user's token for /userinfo, through the code flow. The sign-in hashes
    # a password (argon2id, 19 MiB), which shows in the RSS: measured here,
    # before the scenarios, so that it is not charged to one of them.
    local user_access=""
    if user_access=$(user_token "$web_auth") && [[ -n $user_access ]] &&
        curl -fsS -o /dev/null -H "Authorization: Bearer $user_access" "$BASE/userinfo"; then
        read -r rss hwm < <(mem_kib)
        printf '%-10s %-11s %9s        %-44s RSS %6s MiB  HWM %6s MiB\n' \
            "$name" "sign-in" "-" "(one code-flow sign-in, argon2id)" "$(mib "$rss")" "$(mib "$hwm")"
        SUMMARY+=("$name|sign-in|-|-|-|-|-|$rss|$hwm|-")
    else
        user_access=""
    fi

    run_scenario "$name" discovery /.well-known/openid-configuration
    run_scenario "$name" jwks /jwks.json
    run_scenario "$name" token /token POST "$token_body" "$m2m_auth"
    run_scenario "$name" introspect /introspect POST "token=$token&token_type_hint=access_token" "$rs_auth"
    if [[ -n $user_access ]]; then
        run_scenario "$name" userinfo /userinfo GET "" "Bearer $user_access"
    else
        echo "$name: userinfo skipped: could not sign bench-user in (see above)" >&2
    fi

    stop_server
}

# --- run ----------------------------------------------------------------------
log "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(uname -sr)"
log "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency (warm-up $WARMUP per scenario)"
if [[ $BUILD == 1 && -n $REV ]]; then
    log "binary: built from commit ${REV:0:12}"
elif [[ $BUILD == 1 ]]; then
    log "binary: built from the working tree at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted changes in src/')"
else
    log "binary: $BIN (given, not built)"
fi
log "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ $RUN_SQLITE == 1 ]]; then
    bench_backend sqlite ""
fi
if [[ -n $PG_URL ]]; then
    PG_DB="gatehouse_bench_$$_$RANDOM"
    psql "$PG_URL" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $PG_DB" >/dev/null
    # Same server and credentials as PG_URL, another database.
    scheme=${PG_URL%%://*}
    rest=${PG_URL#*://}
    query=""
    [[ $rest == *\?* ]] && query="?${rest#*\?}" && rest=${rest%%\?*}
    hostpart=${rest%%/*}
    bench_backend postgres "$scheme://$hostpart/$PG_DB$query"
    drop_pg_db
fi

# --- summary ----------------------------------------------------------------
log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews absolute figures)"
echo
echo "Summary (wrk -t$THREADS -c$CONNECTIONS -d$DURATION; latency in ms; x jwks = req/s relative to /jwks.json of the same backend)"
printf '%-9s %-11s %10s %7s %8s %8s %8s %11s %9s %9s %s\n' \
    backend scenario req/s "x jwks" p50 p90 p99 "cpu us/req" "RSS MiB" "HWM MiB" "errors"
for row in "${SUMMARY[@]}"; do
    IFS='|' read -r b n rps p50 p90 p99 cpu rss hwm errs <<<"$row"
    if [[ $rps == - ]]; then
        printf '%-9s %-11s %10s %7s %8s %8s %8s %11s %9s %9s %s\n' \
            "$b" "$n" - - - - - - "$(mib "$rss")" "$(mib "$hwm")" -
    else
        ratio=$(awk -v a="$rps" -v b="${JWKS_RPS[$b]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
        printf '%-9s %-11s %10s %7s %8s %8s %8s %11s %9s %9s %s\n' \
            "$b" "$n" "$rps" "$ratio" "$(ms "$p50")" "$(ms "$p90")" "$(ms "$p99")" "$cpu" \
            "$(mib "$rss")" "$(mib "$hwm")" "$errs"
    fi
done

if [[ $FAILED != 0 ]]; then
    echo "Some scenarios had errors (marked !): their figures are not comparable." >&2
    exit 1
fi
