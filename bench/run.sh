#!/usr/bin/env bash
# Gatehouse against the Node oidc-provider peer: throughput, latency, CPU
# and memory, on SQLite and on PostgreSQL, in one command.
#
# Builds the release binary, starts Gatehouse on a fresh SQLite data dir and
# on a fresh PostgreSQL database (created and dropped), installs the peer
# (bench/peer: oidc-provider from npm, into a cache dir under /tmp) and
# starts it configured alike: the same clients and secrets, ES256 JWT
# access tokens for the API, client_secret_basic, one user whose password
# is hashed with argon2id at OWASP's parameters. Then every scenario runs
# on every target, alternating (sqlite postgres peer, sqlite postgres
# peer, ...: ROUNDS rounds), each a warm-up and a measured wrk run on
# loopback:
#
#   discovery   GET  /.well-known/openid-configuration
#   jwks        GET  /jwks.json
#   cc_es256    POST /token  client_credentials, ES256 JWT access token
#   introspect  POST /introspect  an active access token (the peer: an opaque
#               one, as oidc-provider stores no JWT access token)
#   userinfo    GET  /userinfo with a user's access token (from a code flow)
#   code        POST /token  authorization_code, PKCE; the codes are minted
#               beforehand through the real flow (a signed-in browser's
#               /authorize redirects, driven by wrk) and each used once
#   refresh     POST /token  refresh_token with rotation: CONNECTIONS+ chains,
#               each started by a real sign-in, each refreshing its newest
#               token
#   signin      the whole sign-in of a new browser: /authorize -> login
#               (argon2id, m=19456 KiB t=2 p=1) -> consent -> /token, by
#               bench/flow.py with SIGNIN_CONNECTIONS browsers (each another
#               user); next to it
#               the argon2id ceiling: hashes/s of argon2 alone on all cores
#   cc_eddsa    as cc_es256, the servers restarted with EdDSA access tokens
#   cc_rs256    as cc_es256, with RS256 access tokens
#
# Per run: req/s, p50/p99, errors (socket errors + any answer outside 2xx +
# pool exhaustion), server CPU per request (user+system of the server
# process; for PostgreSQL also its backends of the bench database), RSS at
# the end and its peak during the run (sampled every 0.2 s), and per target
# the idle RSS and the time from exec to ready. At the end bench/report.py
# prints the medians over the rounds, the ratio to the peer (median of the
# per-round ratios), the issue 12 targets passed or failed, and writes a
# Markdown table and an SVG chart.
#
# Usage: bench/run.sh [options]
#   --duration 4s       measured time per run (env DURATION; at most 10s)
#   --warmup 1s         warm-up per run (env WARMUP)
#   --rounds 2          alternated rounds (env ROUNDS)
#   --scenarios "a b"   subset of the scenarios above (env SCENARIOS)
#   --targets "a b"     subset of: sqlite postgres peer (env TARGETS)
#   --postgres URL      PostgreSQL server to create the bench database on
#                       (env PG_URL; postgres://postgres@127.0.0.1:5432/postgres)
#   --no-sqlite, --no-postgres, --no-peer   drop a target
#   --threads 2 --connections 32            wrk's -t and -c
#   --svg PATH          where to write the chart (default: results dir)
#   --results DIR       where to keep the raw results (default: a new
#                       /tmp/gatehouse-bench-results.XXXXXX, kept)
#   --rev REV | --bin PATH | --no-build     which Gatehouse binary
#   --soak              instead: SOAK_MINUTES (10) of client_credentials
#                       load on each Gatehouse backend, printing per
#                       SOAK_SLICE (60s) throughput, p99, RSS and WAL size
#   --no-time-limit     allow a main run estimated over 10 minutes
#
# Other environment: SIGNIN_CONNECTIONS (4), MINT_FACTOR (1.5: codes are
# minted for MINT_FACTOR x the run's duration, more if the warm-up showed
# the exchange outpacing the minting).
#
# The machines are shared and noisy: read the ratios of one run, not
# absolute figures of different runs (docs/BENCHMARKS.md).
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR="$ROOT/bench"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/gatehouse-target}

ALL_SCENARIOS="discovery jwks cc_es256 introspect userinfo code refresh signin cc_eddsa cc_rs256"
DURATION=${DURATION:-4s}
WARMUP=${WARMUP:-1s}
ROUNDS=${ROUNDS:-2}
SCENARIOS=${SCENARIOS:-$ALL_SCENARIOS}
TARGETS=${TARGETS:-sqlite postgres peer}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
SIGNIN_CONNECTIONS=${SIGNIN_CONNECTIONS:-4}
MINT_FACTOR=${MINT_FACTOR:-1.5}
SOAK_MINUTES=${SOAK_MINUTES:-10}
SOAK_SLICE=${SOAK_SLICE:-60s}
RESULTS_DIR=${RESULTS_DIR:-}
SVG=${SVG:-}
BIN=""
REV=""
BUILD=1
MODE=main
TIME_LIMIT=1

drop_target() { TARGETS=$(tr ' ' '\n' <<<"$TARGETS" | grep -vx "$1" | tr '\n' ' '); }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --duration) DURATION=${2:?}; shift 2 ;;
        --warmup) WARMUP=${2:?}; shift 2 ;;
        --rounds) ROUNDS=${2:?}; shift 2 ;;
        --scenarios) SCENARIOS=${2:?}; shift 2 ;;
        --targets) TARGETS=${2:?}; shift 2 ;;
        --postgres) PG_URL=${2:?--postgres needs a URL}; shift 2 ;;
        --no-sqlite) drop_target sqlite; shift ;;
        --no-postgres) drop_target postgres; shift ;;
        --no-peer) drop_target peer; shift ;;
        --threads) THREADS=${2:?}; shift 2 ;;
        --connections) CONNECTIONS=${2:?}; shift 2 ;;
        --svg) SVG=${2:?}; shift 2 ;;
        --results) RESULTS_DIR=${2:?}; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --bin) BIN=${2:?--bin needs a path}; BUILD=0; shift 2 ;;
        --rev) REV=${2:?--rev needs a git revision}; shift 2 ;;
        --soak) MODE=soak; shift ;;
        --no-time-limit) TIME_LIMIT=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

# --- arguments ---------------------------------------------------------------
secs() { # 5s, 2m, 1.5s -> seconds (may be fractional)
    local d=$1
    case "$d" in
        *ms) awk -v v="${d%ms}" 'BEGIN { print v / 1000 }' ;;
        *s) echo "${d%s}" ;;
        *m) awk -v v="${d%m}" 'BEGIN { print v * 60 }' ;;
        *) echo "$d" ;;
    esac
}
fcalc() { awk "BEGIN { print $* }"; }
ceil() { awk -v s="$1" 'BEGIN { c = int(s); if (c < s) c++; if (c < 1) c = 1; print c }'; }
for s in $SCENARIOS; do
    [[ " $ALL_SCENARIOS " == *" $s "* ]] || { echo "unknown scenario $s (one of: $ALL_SCENARIOS)" >&2; exit 2; }
done
for t in $TARGETS; do
    [[ " sqlite postgres peer " == *" $t "* ]] || { echo "unknown target $t (sqlite postgres peer)" >&2; exit 2; }
done
# Canonical order, whatever the order given: the scenarios that restart the
# servers with another access-token algorithm come last.
SCENARIOS=$(for s in $ALL_SCENARIOS; do if [[ " $SCENARIOS " == *" $s "* ]]; then printf '%s ' "$s"; fi; done)
TARGETS=$(for t in sqlite postgres peer; do if [[ " $TARGETS " == *" $t "* ]]; then printf '%s ' "$t"; fi; done)
[[ -n ${SCENARIOS// /} ]] || { echo "no scenario selected" >&2; exit 2; }
[[ -n ${TARGETS// /} ]] || { echo "no target selected" >&2; exit 2; }
DUR_S=$(secs "$DURATION")
WARM_S=$(secs "$WARMUP")
if [[ $MODE == main ]] && (( $(fcalc "($DUR_S > 10)") )); then
    echo "--duration is capped at 10s per run (the whole run must stay under 10 minutes)" >&2; exit 2
fi
if [[ -n $REV ]]; then
    REV=$(git -C "$ROOT" rev-parse "$REV^{commit}") || { echo "unknown revision $REV" >&2; exit 2; }
fi
N_SCEN=$(wc -w <<<"$SCENARIOS")
N_TARGETS=$(wc -w <<<"$TARGETS")
if [[ $MODE == main ]]; then
    # Each run: warm-up + measurement + ~1 s of checks; refresh mints its
    # chains (~2 s), code its pool (MINT_FACTOR x, often 1.3 x more);
    # starts, restarts and the argon2 ceiling ~40 s.
    HAS_CODE=0 HAS_REFRESH=0
    [[ " $SCENARIOS " == *" code "* ]] && HAS_CODE=1
    [[ " $SCENARIOS " == *" refresh "* ]] && HAS_REFRESH=1
    ESTIMATE=$(fcalc "$ROUNDS * $N_TARGETS * ($N_SCEN * ($WARM_S + $DUR_S + 1) + $HAS_REFRESH * 2 \
        + $HAS_CODE * ($MINT_FACTOR * 1.3 * ($WARM_S + $DUR_S) + 1)) + 40")
    if [[ $TIME_LIMIT == 1 ]] && (( $(fcalc "($ESTIMATE > 600)") )); then
        echo "estimated $(printf '%.0f' "$ESTIMATE") s, over the 10-minute bound: shorten --duration," \
            "--rounds or --scenarios (or --no-time-limit)" >&2
        exit 2
    fi
fi

need() { command -v "$1" >/dev/null || { echo "missing tool: $1 ($2)" >&2; exit 1; }; }
need wrk "apt-get install -y wrk"
need curl "apt-get install -y curl"
need python3 "apt-get install -y python3"
[[ " $TARGETS " == *" postgres "* ]] && need psql "apt-get install -y postgresql-client"
[[ " $TARGETS " == *" peer "* ]] && need node "Node.js 20.19 or later, with npm"

log() { printf '==> %s\n' "$*" >&2; }

# --- state and cleanup ----------------------------------------------------------
WORK=$(mktemp -d /tmp/gatehouse-bench.XXXXXX)
if [[ -z $RESULTS_DIR ]]; then
    RESULTS_DIR=$(mktemp -d /tmp/gatehouse-bench-results.XXXXXX)
fi
mkdir -p "$RESULTS_DIR"
RESULTS="$RESULTS_DIR/results.tsv"
: >"$RESULTS"
SVG=${SVG:-$RESULTS_DIR/benchmarks.svg}
PG_DB=""
FAILED=0
declare -A T_PID=() T_BASE=() T_ALG=() T_GEN=() T_LOG=() CACHE=()
SAMPLER_PID=""

stop_pid() {
    local pid=$1
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
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
    stop_sampler
    local t
    for t in "${!T_PID[@]}"; do stop_pid "${T_PID[$t]}"; done
    drop_pg_db
    if [[ $rc == 0 && $FAILED == 0 ]]; then
        rm -rf "$WORK"
    else
        echo "logs kept in $WORK" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build --------------------------------------------------------------------
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
BIN=$(realpath "$BIN")

# The argon2id ceiling of the sign-in scenario, from bench/signing (its
# own small cargo project; the argon2 crate version Gatehouse uses).
ARGON2_BIN=""
if [[ $MODE == main && " $SCENARIOS " == *" signin "* ]]; then
    log "cargo build --release bench/signing (argon2_ceiling)"
    (cd "$BENCH_DIR/signing" && CARGO_TARGET_DIR="$BENCH_DIR/signing/target" \
        cargo build --release --quiet --bin argon2_ceiling)
    ARGON2_BIN="$BENCH_DIR/signing/target/release/argon2_ceiling"
fi

# The peer: oidc-provider from npm, installed once per package-lock into
# a cache directory (never into the repository).
PEER_DIR=""
if [[ $MODE == main && " $TARGETS " == *" peer "* ]]; then
    lock_hash=$(cat "$BENCH_DIR/peer/package.json" "$BENCH_DIR/peer/package-lock.json" | sha256sum | cut -c1-16)
    PEER_DIR="${TMPDIR:-/tmp}/gatehouse-bench-peer/$lock_hash"
    if [[ ! -f $PEER_DIR/installed ]]; then
        log "npm ci for the peer into $PEER_DIR"
        rm -rf "$PEER_DIR" && mkdir -p "$PEER_DIR"
        cp "$BENCH_DIR/peer/package.json" "$BENCH_DIR/peer/package-lock.json" "$PEER_DIR/"
        (cd "$PEER_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
        touch "$PEER_DIR/installed"
    fi
    cp "$BENCH_DIR/peer/provider.mjs" "$PEER_DIR/provider.mjs"
fi

# --- ports, secrets -------------------------------------------------------------
port_in_use() { [[ -n $(ss -Htln "sport = :$1" 2>/dev/null) ]]; }
PICKED=""
free_port() {
    local p
    for _ in $(seq 200); do
        p=$(( 20000 + RANDOM % 30000 ))
        if ! port_in_use "$p" && [[ " $PICKED " != *" $p "* ]]; then
            PICKED="$PICKED $p"
            FREE_PORT=$p
            return
        fi
    done
    echo "no free port found" >&2
    exit 1
}

random_secret() { head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '='; }
M2M_SECRET=$(random_secret)
RS_SECRET=$(random_secret)
WEB_SECRET=$(random_secret)
# 43 random characters, nothing from the users' names or emails: it must
# pass the password policy (docs/SECURITY.md#passwords).
BENCH_PASSWORD="pw-$(random_secret)"
M2M_AUTH="Basic $(printf '%s:%s' bench-m2m "$M2M_SECRET" | base64 -w0)"
RS_AUTH="Basic $(printf '%s:%s' bench-rs "$RS_SECRET" | base64 -w0)"
WEB_AUTH="Basic $(printf '%s:%s' bench-web "$WEB_SECRET" | base64 -w0)"
export BENCH_PASSWORD WEB_AUTH
API="https://api.bench.example"
OPAQUE_API="https://opaque-api.bench.example"
REDIRECT="http://127.0.0.1/bench-callback"
VERIFIER="bench-verifier-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG"
CHALLENGE="VnbqXeuJTsLy7nKkzMn9YDdWfImEkuMnnxUWWaanBUU"
CLK_TCK=$(getconf CLK_TCK)
CORES=$(nproc)

unset RUST_LOG GATEHOUSE_MASTER_KEY GATEHOUSE_DATABASE_URL GATEHOUSE_DATA_DIR || true

# --- process measurements ---------------------------------------------------------
ticks_of() { # utime + stime of the given pids, in clock ticks
    local total=0 pid t
    for pid in "$@"; do
        t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
        total=$(( total + t ))
    done
    echo "$total"
}
db_pids() { # PostgreSQL backends serving the bench database
    [[ -n $PG_DB ]] && pgrep -f "postgres: .* $PG_DB " || true
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

# Samples the RSS of PID every 0.2 s, keeping the maximum in FILE.
start_sampler() {
    local pid=$1 file=$2
    echo 0 >"$file"
    (
        max=0
        while kill -0 "$pid" 2>/dev/null; do
            r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
            if (( r > max )); then max=$r; echo "$max" >"$file"; fi
            sleep 0.2
        done
    ) &
    SAMPLER_PID=$!
}
stop_sampler() {
    [[ -n $SAMPLER_PID ]] && { kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; }
    SAMPLER_PID=""
}

# --- targets ------------------------------------------------------------------------
# gh_env TARGET: the environment of a Gatehouse target's commands.
gh_env() {
    local t=$1
    export GATEHOUSE_DATA_DIR="$WORK/$t/data"
    if [[ $t == postgres ]]; then
        export GATEHOUSE_DATABASE_URL=$PG_BENCH_URL
    else
        unset GATEHOUSE_DATABASE_URL
    fi
    export GATEHOUSE_ISSUER="${T_BASE[$t]}" GATEHOUSE_LISTEN="${T_BASE[$t]#http://}"
    export GATEHOUSE__LOG__LEVEL=warn
    # Codes live 10 minutes (as at the peer): a pool is minted before use.
    export GATEHOUSE__TOKENS__AUTHORIZATION_CODE_TTL_SECS=600
}

setup_gatehouse() {
    local t=$1
    mkdir -p "$WORK/$t/data"
    # The CLI says on stderr which database it uses, once per command: kept
    # in setup.log, shown only if a command fails.
    # (In the background: in an `if` or `||` errexit would be off inside.)
    (
        gh_env "$t"
        export GATEHOUSE_METRICS_LISTEN=""
        "$BIN" migrate >/dev/null
        "$BIN" api add "$API" --name "Bench API" >/dev/null
        "$BIN" permission add "$API" reports:read >/dev/null
        "$BIN" role add reporter >/dev/null
        "$BIN" role allow reporter "$API" reports:read >/dev/null
        printf '%s\n' "$M2M_SECRET" | "$BIN" client add bench-m2m --grant client_credentials \
            --resource "$API" --secret-stdin >/dev/null
        "$BIN" client grant-role bench-m2m reporter >/dev/null
        printf '%s\n' "$RS_SECRET" | "$BIN" client add bench-rs --grant client_credentials \
            --introspect "$API" --secret-stdin >/dev/null
        # Consent is asked (no --skip-consent): the sign-in scenario shows it.
        printf '%s\n' "$WEB_SECRET" | "$BIN" client add bench-web --redirect-uri "$REDIRECT" \
            --grant authorization_code --grant refresh_token --secret-stdin >/dev/null
        printf '%s\n' "$BENCH_PASSWORD" | "$BIN" user add bench-user --email bench@example.com \
            --name "Bench User" --password-stdin >/dev/null
        # The sign-in scenario's browsers are different people: one user each.
        for i in $(seq "$SIGNIN_CONNECTIONS"); do
            printf '%s\n' "$BENCH_PASSWORD" | "$BIN" user add "bench-signin-$i" \
                --email "bench-signin-$i@example.com" --password-stdin >/dev/null
        done
    ) 2>"$WORK/$t/setup.log" &
    if ! wait $!; then
        echo "$t: setting up Gatehouse failed:" >&2
        cat "$WORK/$t/setup.log" >&2
        exit 1
    fi
}

# start_target TARGET ALG: starts it with ALG access tokens, waits until
# ready and records the time from exec to ready.
start_target() {
    local t=$1 alg=$2 start_ns ready_ns ready_url poller ready_ms
    T_LOG[$t]="$WORK/$t/server.$alg.log"
    if [[ $t == peer ]]; then
        ready_url="${T_BASE[$t]}/.well-known/openid-configuration"
    else
        ready_url="${T_BASE[$t]}/readyz"
    fi
    # The poller starts first (Python takes tens of ms to start): the time
    # from exec to ready is then the server's alone, to within ~1 ms.
    python3 "$BENCH_DIR/flow.py" ready "$ready_url" 60 >"$WORK/$t/ready_ns" &
    poller=$!
    sleep 0.3
    start_ns=$(date +%s%N)
    if [[ $t == peer ]]; then
        PORT=${T_BASE[$t]##*:} ISSUER="${T_BASE[$t]}" ACCESS_TOKEN_ALG=$alg M2M_SECRET=$M2M_SECRET \
            RS_SECRET=$RS_SECRET WEB_SECRET=$WEB_SECRET SIGNIN_USERS=$SIGNIN_CONNECTIONS NODE_ENV=production \
            node "$PEER_DIR/provider.mjs" >"${T_LOG[$t]}" 2>&1 &
    else
        (
            gh_env "$t"
            export GATEHOUSE__TOKENS__ACCESS_TOKEN_ALG=$alg
            export GATEHOUSE_METRICS_LISTEN="127.0.0.1:${T_METRICS[$t]}"
            # As the Dockerfile runs it: argon2's 19 MiB buffers go back to
            # the system after each sign-in.
            export MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-131072}
            exec "$BIN" serve
        ) >"${T_LOG[$t]}" 2>&1 &
    fi
    T_PID[$t]=$!
    if ! wait "$poller"; then
        echo "$t did not get ready; log:" >&2
        cat "${T_LOG[$t]}" >&2
        exit 1
    fi
    ready_ns=$(cat "$WORK/$t/ready_ns")
    ready_ms=$(( (ready_ns - start_ns) / 1000000 ))
    T_ALG[$t]=$alg
    T_GEN[$t]=$(( ${T_GEN[$t]:-0} + 1 ))
    printf 'ready\t%s\t%s\t%s\n' "$t" "$alg" "$ready_ms" >>"$RESULTS"
    log "$t started with $alg access tokens: ready after $ready_ms ms (pid ${T_PID[$t]})"
}

stop_target() {
    stop_pid "${T_PID[$1]}"
    T_PID[$1]=""
}

ensure_alg() {
    local t=$1 alg=$2
    if [[ ${T_ALG[$t]} != "$alg" ]]; then
        stop_target "$t"
        start_target "$t" "$alg"
    fi
}

# Cached per target and server start: a signed-in browser's cookies, a
# user's access token. cached TARGET KEY COMMAND...: sets CACHED (never
# call it in a subshell: the cache would be lost).
cached() {
    local key="$1/${T_GEN[$1]}/$2"
    if [[ -z ${CACHE[$key]:-} ]]; then
        CACHE[$key]=$("${@:3}") || { echo "could not get $2 from $1" >&2; exit 1; }
    fi
    CACHED=${CACHE[$key]}
}
json_field() { python3 -c 'import json, sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }
session_cookie() { python3 "$BENCH_DIR/flow.py" session "${T_BASE[$1]}"; }
user_access_token() { python3 "$BENCH_DIR/flow.py" tokens "${T_BASE[$1]}" 1 | json_field access_token; }
introspected_token() {
    local body="grant_type=client_credentials&scope=reports%3Aread"
    # The peer stores no JWT access token: it introspects an opaque one.
    [[ $1 == peer ]] && body+="&resource=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$OPAQUE_API")"
    curl -fsS -H "Authorization: $M2M_AUTH" -d "$body" "${T_BASE[$1]}/token" | json_field access_token
}

# --- one wrk run ------------------------------------------------------------------------
# wrk_run SECONDS URL [VAR=VALUE...]: prints the BENCH line (the settings
# are passed to bench/scenario.lua through the environment).
wrk_run() {
    local seconds url=$2 out
    # wrk takes whole seconds.
    seconds=$(ceil "$1")
    shift 2
    out=$(env BENCH_THREADS="$THREADS" "$@" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" \
        --timeout 10s --latency -s "$BENCH_DIR/scenario.lua" "$url") || { echo "$out" >&2; return 1; }
    grep '^BENCH ' <<<"$out" || { echo "$out" >&2; echo "no BENCH line from wrk" >&2; return 1; }
}

# mint_codes TARGET SECONDS FILE: a signed-in browser's /authorize, by wrk,
# for SECONDS; every redirect's code goes into FILE. Sets MINTED (the count).
mint_codes() {
    local t=$1 seconds=$2 file=$3 url line
    cached "$t" session session_cookie "$t"
    url="${T_BASE[$t]}/authorize?response_type=code&client_id=bench-web&redirect_uri=$REDIRECT"
    url+="&scope=openid%20profile%20email&state=bench&code_challenge=$CHALLENGE&code_challenge_method=S256"
    rm -f "$file".*
    line=$(wrk_run "$seconds" "$url" BENCH_COOKIE="$CACHED" BENCH_MINT="$file" BENCH_MINT_COUNT=100000000)
    cat "$file".* >"$file" 2>/dev/null || : >"$file"
    rm -f "$file".*
    if [[ $line != *" non2xx=0 "* ]]; then
        echo "minting codes at $t: $line" >&2
    fi
    MINTED=$(wc -l <"$file")
}

# run_one ROUND TARGET SCENARIO
run_one() {
    local round=$1 t=$2 s=$3
    local base=${T_BASE[$t]} url phase_env=() warm_env=() line
    local dir="$WORK/$t/$s.$round"
    mkdir -p "$dir"
    ensure_alg "$t" "$(scenario_alg "$s")"

    case "$s" in
        discovery) url="$base/.well-known/openid-configuration" ;;
        jwks) url="$base/jwks.json" ;;
        cc_es256|cc_eddsa|cc_rs256)
            url="$base/token"
            phase_env=(BENCH_METHOD=POST "BENCH_AUTH=$M2M_AUTH" "BENCH_BODY=grant_type=client_credentials&scope=reports%3Aread")
            ;;
        introspect)
            local token
            token=$(introspected_token "$t")
            url="$base/introspect"
            phase_env=(BENCH_METHOD=POST "BENCH_AUTH=$RS_AUTH" "BENCH_BODY=token=$token&token_type_hint=access_token")
            local answer
            answer=$(curl -fsS -H "Authorization: $RS_AUTH" -d "token=$token" "$url")
            [[ $answer == *'"active":true'* ]] || { echo "$t: introspection not active: $answer" >&2; exit 1; }
            ;;
        userinfo)
            cached "$t" user_access user_access_token "$t"
            url="$base/userinfo"
            phase_env=("BENCH_AUTH=Bearer $CACHED")
            ;;
        code)
            url="$base/token"
            local body="grant_type=authorization_code&code={}&redirect_uri=http%3A%2F%2F127.0.0.1%2Fbench-callback&code_verifier=$VERIFIER"
            local minted mint_s
            mint_s=$(ceil "$(fcalc "$WARM_S * $MINT_FACTOR")")
            mint_codes "$t" "$mint_s" "$dir/warm-codes"
            minted=$MINTED
            warm_env=(BENCH_METHOD=POST "BENCH_AUTH=$WEB_AUTH" "BENCH_BODY=$body" "BENCH_POOL=$dir/warm-codes")
            phase_env=(BENCH_METHOD=POST "BENCH_AUTH=$WEB_AUTH" "BENCH_BODY=$body" "BENCH_POOL=$dir/codes")
            ;;
        refresh)
            url="$base/token"
            local seeds=$(( CONNECTIONS + 2 * THREADS ))
            python3 "$BENCH_DIR/flow.py" tokens "$base" $(( 2 * seeds )) | json_field_lines refresh_token >"$dir/seeds"
            head -n "$seeds" "$dir/seeds" >"$dir/warm-seeds"
            tail -n "$seeds" "$dir/seeds" >"$dir/run-seeds"
            local body="grant_type=refresh_token&refresh_token={}"
            warm_env=(BENCH_METHOD=POST "BENCH_AUTH=$WEB_AUTH" "BENCH_BODY=$body" "BENCH_POOL=$dir/warm-seeds" BENCH_CHAIN=1)
            phase_env=(BENCH_METHOD=POST "BENCH_AUTH=$WEB_AUTH" "BENCH_BODY=$body" "BENCH_POOL=$dir/run-seeds" BENCH_CHAIN=1)
            ;;
        signin) url="" ;;
    esac
    [[ ${#warm_env[@]} -gt 0 ]] || warm_env=("${phase_env[@]}")

    # A static request must succeed once before it is measured.
    if [[ $s != code && $s != refresh && $s != signin ]]; then
        local -a curl_args=(-sS -o "$dir/check.txt" -w '%{http_code}')
        local kv
        for kv in "${phase_env[@]}"; do
            case "$kv" in
                BENCH_METHOD=POST) ;;
                BENCH_AUTH=*) curl_args+=(-H "Authorization: ${kv#BENCH_AUTH=}") ;;
                BENCH_BODY=*) curl_args+=(--data "${kv#BENCH_BODY=}") ;;
            esac
        done
        local code
        code=$(curl "${curl_args[@]}" "$url")
        if [[ $code != 2* ]]; then
            echo "$t $s: the request answers $code: $(head -c 300 "$dir/check.txt")" >&2
            FAILED=1
        fi
    fi

    # Warm-up.
    local warm_line
    if [[ $s == signin ]]; then
        warm_line=$(python3 "$BENCH_DIR/flow.py" signin "$base" "$WARM_S" "$SIGNIN_CONNECTIONS")
    else
        warm_line=$(wrk_run "$WARM_S" "$url" "${warm_env[@]}")
    fi
    printf '%s\n' "$warm_line" >"$dir/warmup.txt"

    if [[ $s == code ]]; then
        # Enough codes for the measurement: MINT_FACTOR x the duration at
        # the minting rate, more if the warm-up exchanged faster than that.
        local warm_req warm_exh mint_rate exch_rate factor
        warm_req=$(field requests "$warm_line")
        warm_exh=$(field pool_exhausted "$warm_line")
        mint_rate=$(fcalc "$minted / $mint_s")
        exch_rate=$(fcalc "($warm_req - $warm_exh) / $WARM_S * ($warm_exh > 0 ? 2 : 1)")
        factor=$(awk -v e="$exch_rate" -v m="$mint_rate" -v f="$MINT_FACTOR" 'BEGIN {
            r = (m > 0 ? e / m : 5) * 1.3; if (r < f) r = f; if (r > 5) r = 5; print r }')
        mint_s=$(ceil "$(fcalc "$DUR_S * $factor")")
        mint_codes "$t" "$mint_s" "$dir/codes"
        minted=$MINTED
        printf 'mint\t%s\t%s\t%s\t%s\n' "$round" "$t" "$minted" "$mint_s" >>"$RESULTS"
    fi

    # Measurement.
    local pid=${T_PID[$t]} ticks0 ticks1 dbt0=0 dbt1=0 dbpids=""
    [[ $t == postgres ]] && dbpids=$(db_pids | tr '\n' ' ')
    start_sampler "$pid" "$dir/rss_peak"
    ticks0=$(ticks_of "$pid")
    # shellcheck disable=SC2086
    [[ -n $dbpids ]] && dbt0=$(ticks_of $dbpids)
    if [[ $s == signin ]]; then
        line=$(python3 "$BENCH_DIR/flow.py" signin "$base" "$DUR_S" "$SIGNIN_CONNECTIONS")
    else
        line=$(wrk_run "$DUR_S" "$url" "${phase_env[@]}")
    fi
    ticks1=$(ticks_of "$pid")
    # shellcheck disable=SC2086
    [[ -n $dbpids ]] && dbt1=$(ticks_of $dbpids)
    stop_sampler
    printf '%s\n' "$line" >"$dir/run.txt"

    local rps p50 p90 p99 requests non2xx sockerr exhausted cpu dbcpu rss peak
    rps=$(field rps "$line"); p50=$(field p50_us "$line"); p90=$(field p90_us "$line")
    p99=$(field p99_us "$line"); requests=$(field requests "$line")
    non2xx=$(field non2xx "$line"); exhausted=$(field pool_exhausted "$line")
    sockerr=$(( $(field connect_errors "$line") + $(field read_errors "$line") + $(field write_errors "$line") + $(field timeouts "$line") ))
    cpu=$(awk -v t=$(( ticks1 - ticks0 )) -v hz="$CLK_TCK" -v n="$requests" \
        'BEGIN { if (n > 0) printf "%.0f", t / hz * 1e6 / n; else print 0 }')
    dbcpu=$(awk -v t=$(( dbt1 - dbt0 )) -v hz="$CLK_TCK" -v n="$requests" \
        'BEGIN { if (n > 0) printf "%.0f", t / hz * 1e6 / n; else print 0 }')
    rss=$(rss_kib "$pid")
    peak=$(cat "$dir/rss_peak")
    (( peak >= rss )) || peak=$rss
    printf 'run\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$t" "$s" \
        "$rps" "$p50" "$p90" "$p99" "$requests" "$non2xx" "$sockerr" "$exhausted" "$cpu" "$dbcpu" \
        "$rss" "$peak" >>"$RESULTS"

    local flag=""
    if (( non2xx > 0 || sockerr > 0 || exhausted > 0 )); then
        flag=" !"
        FAILED=1
    fi
    local db_note=""
    [[ $t == postgres ]] && db_note=" +db $dbcpu"
    printf '%-2s %-9s %-11s %9s req/s  p50 %7s ms  p99 %7s ms  cpu %6s us/req%s  RSS %5s MiB  peak %5s MiB%s\n' \
        "$round" "$t" "$s" "$rps" "$(ms "$p50")" "$(ms "$p99")" "$cpu" "$db_note" "$(mib "$rss")" "$(mib "$peak")" "$flag"
    if [[ -n $flag ]]; then
        printf '   WARNING: %s non-2xx answers, %s socket errors/timeouts (signin: failed sign-ins), %s requests found the pool empty (%s; server log %s)\n' \
            "$non2xx" "$sockerr" "$exhausted" "$dir" "${T_LOG[$t]}" >&2
    fi
    return 0
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }
json_field_lines() { python3 -c 'import json, sys
for line in sys.stdin:
    if line.strip(): print(json.loads(line)[sys.argv[1]])' "$1"; }
scenario_alg() {
    case "$1" in
        cc_eddsa) echo EdDSA ;;
        cc_rs256) echo RS256 ;;
        *) echo ES256 ;;
    esac
}

# --- setup ----------------------------------------------------------------------------
log "machine: $CORES cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(uname -sr)"
if [[ $BUILD == 1 && -n $REV ]]; then
    log "binary: built from commit ${REV:0:12}"
elif [[ $BUILD == 1 ]]; then
    log "binary: built from the working tree at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted changes in src/')"
else
    log "binary: $BIN (given, not built)"
fi
log "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"

declare -A T_METRICS=()
for t in $TARGETS; do
    free_port
    T_BASE[$t]="http://127.0.0.1:$FREE_PORT"
    free_port
    T_METRICS[$t]=$FREE_PORT
    T_ALG[$t]=""
    mkdir -p "$WORK/$t"
done
PG_BENCH_URL=""
if [[ " $TARGETS " == *" postgres "* ]]; then
    PG_DB="gatehouse_bench_$$_$RANDOM"
    psql "$PG_URL" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $PG_DB" >/dev/null
    # Same server and credentials as PG_URL, another database.
    scheme=${PG_URL%%://*}
    rest=${PG_URL#*://}
    query=""
    [[ $rest == *\?* ]] && query="?${rest#*\?}" && rest=${rest%%\?*}
    PG_BENCH_URL="$scheme://${rest%%/*}/$PG_DB$query"
fi

{
    printf 'meta\tdate\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf 'meta\tcores\t%s\n' "$CORES"
    printf 'meta\twrk\t-t%s -c%s, %s warm-up + %s per run, %s rounds\n' "$THREADS" "$CONNECTIONS" "$WARMUP" "$DURATION" "$ROUNDS"
    printf 'meta\tbinary\t%s\n' "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    printf 'meta\tload_start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
    if [[ -n $PEER_DIR ]]; then
        printf 'meta\tpeer\toidc-provider %s on node %s\n' \
            "$(node -p "require('$PEER_DIR/node_modules/oidc-provider/package.json').version")" "$(node --version)"
    fi
} >>"$RESULTS"

# --- soak mode ---------------------------------------------------------------------------
if [[ $MODE == soak ]]; then
    slice_s=$(secs "$SOAK_SLICE")
    slices=$(fcalc "int($SOAK_MINUTES * 60 / $slice_s + 0.5)")
    for t in $TARGETS; do
        [[ $t == peer ]] && continue
        setup_gatehouse "$t"
        start_target "$t" ES256
        sleep 1
        log "$t: soak, $slices slices of ${slice_s}s of client_credentials (ES256, one audit row each), wrk -t$THREADS -c$CONNECTIONS"
        printf '%-9s %5s %10s %9s %7s %9s %11s %12s\n' backend slice "req/s" "p99 ms" non2xx "RSS MiB" "WAL MiB" "db MiB"
        for i in $(seq "$slices"); do
            line=$(wrk_run "$slice_s" "${T_BASE[$t]}/token" BENCH_METHOD=POST "BENCH_AUTH=$M2M_AUTH" \
                "BENCH_BODY=grant_type=client_credentials&scope=reports%3Aread")
            rss=$(rss_kib "${T_PID[$t]}")
            if [[ $t == sqlite ]]; then
                db="$WORK/$t/data/gatehouse.db"
                wal=$(stat -c %s "$db-wal" 2>/dev/null || echo 0)
                dbsize=$(stat -c %s "$db")
            else
                wal=$(psql "$PG_URL" -Atc "SELECT sum(size) FROM pg_ls_waldir()")
                dbsize=$(psql "$PG_URL" -Atc "SELECT pg_database_size('$PG_DB')")
            fi
            non2xx=$(field non2xx "$line")
            (( non2xx == 0 )) || FAILED=1
            printf 'soak\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$i" "$(field rps "$line")" \
                "$(field p99_us "$line")" "$non2xx" "$rss" "$wal" "$dbsize" >>"$RESULTS"
            printf '%-9s %5s %10s %9s %7s %9s %11s %12s\n' "$t" "$i" "$(field rps "$line")" \
                "$(ms "$(field p99_us "$line")")" "$non2xx" "$(mib "$rss")" \
                "$(fcalc "$wal / 1048576" | xargs printf '%.1f')" "$(fcalc "$dbsize / 1048576" | xargs printf '%.1f')"
        done
        stop_target "$t"
    done
    python3 "$BENCH_DIR/report.py" "$RESULTS" --soak
    log "results kept in $RESULTS_DIR"
    exit "$FAILED"
fi

# --- main run --------------------------------------------------------------------------------
STARTED=$(date +%s)
log "targets: $TARGETS; scenarios: $SCENARIOS"
log "wrk -t$THREADS -c$CONNECTIONS, warm-up $WARMUP + $DURATION per run, $ROUNDS rounds alternated; estimated $(printf '%.0f' "$ESTIMATE") s"
for t in $TARGETS; do
    [[ $t != peer ]] && setup_gatehouse "$t"
    start_target "$t" ES256
done
sleep 1
for t in $TARGETS; do
    rss=$(rss_kib "${T_PID[$t]}")
    printf 'idle\t%s\t%s\n' "$t" "$rss" >>"$RESULTS"
    printf '   %-9s idle RSS %s MiB\n' "$t" "$(mib "$rss")"
done

for s in $SCENARIOS; do
    if [[ $s == signin && -n $ARGON2_BIN ]]; then
        line=$("$ARGON2_BIN" "$CORES" 3)
        printf 'argon2\t%s\t%s\n' "$(field threads "$line")" "$(field per_sec "$line")" >>"$RESULTS"
        printf '   argon2id alone on %s cores (m=19456 KiB, t=2, p=1): %s hashes/s\n' "$CORES" "$(field per_sec "$line")"
    fi
    for round in $(seq "$ROUNDS"); do
        for t in $TARGETS; do
            run_one "$round" "$t" "$s"
        done
    done
done

for t in $TARGETS; do stop_target "$t"; done
drop_pg_db
printf 'meta\tload_end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS"
printf 'meta\telapsed_s\t%s\n' "$(( $(date +%s) - STARTED ))" >>"$RESULTS"
log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); main run took $(( $(date +%s) - STARTED )) s"
echo
python3 "$BENCH_DIR/report.py" "$RESULTS" --svg "$SVG" --markdown "$RESULTS_DIR/table.md"
log "results kept in $RESULTS_DIR (results.tsv, table.md); chart: $SVG"

if [[ $FAILED != 0 ]]; then
    echo "Some runs had errors (marked !): their figures are not comparable." >&2
    exit 1
fi
