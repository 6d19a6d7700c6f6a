#!/usr/bin/env bash
# Fills a database with 1,000,000 users (one precomputed argon2id hash shared
# by all of them — hashing each row would take hours), starts the release
# server on it, and times the admin users page, a prefix search and a deep
# page, through the console (session cookie) and the admin API (bearer
# token). Prints p50/p95/max per request kind.
#
#   bench/million_users.sh                       # SQLite
#   bench/million_users.sh --postgres postgres://postgres@127.0.0.1:5432/postgres
#   USERS=200000 bench/million_users.sh          # fewer rows
set -euo pipefail

cd "$(dirname "$0")/.."
USERS=${USERS:-1000000}
RUNS=${RUNS:-25}
PG_ADMIN_URL=""
if [[ "${1:-}" == "--postgres" ]]; then PG_ADMIN_URL=${2:?--postgres needs a URL}; fi

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${TMPDIR:-/tmp}/gatehouse-target}
cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/gatehouse"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-million.XXXXXX")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ISSUER="http://127.0.0.1:$PORT"
export GATEHOUSE_DATA_DIR="$WORK" GATEHOUSE_LISTEN="127.0.0.1:$PORT" GATEHOUSE_ISSUER="$ISSUER" \
       GATEHOUSE_METRICS_LISTEN="" GATEHOUSE__LOG__LEVEL=warn
if [[ -n "$PG_ADMIN_URL" ]]; then
  DB="gatehouse_million_$$"
  psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $DB"
  export GATEHOUSE_DATABASE_URL="${PG_ADMIN_URL%/*}/$DB"
  BACKEND=PostgreSQL
else
  export GATEHOUSE_DATABASE_URL="sqlite://$WORK/gatehouse.db"
  BACKEND=SQLite
fi
SERVER_PID=""
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  if [[ -n "$PG_ADMIN_URL" ]]; then psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" migrate >/dev/null
echo 'correct horse battery' | "$BIN" user add root --role admin --password-stdin >/dev/null
"$BIN" client add bench-admin --grant client_credentials --resource gatehouse-admin > "$WORK/client.txt"
"$BIN" client grant-role bench-admin admin >/dev/null
SECRET=$(awk '/client_secret:/ {print $2}' "$WORK/client.txt")
HASH=$(python3 - <<'EOF'
# Any valid argon2id PHC string will do: nobody signs in as these users.
print("$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0dGbVq0HhEqk3ZQm1DLm4yPZr7jFr7bN0Ilx1yYqJ9k")
EOF
)

echo "== generating $USERS users on $BACKEND"
started=$(date +%s)
SQL_PG="INSERT INTO users (id, username, email, email_verified, name, password_hash, disabled, created_at, updated_at)
SELECT md5(n::text)::uuid::text, 'user' || lpad(n::text, 7, '0'), 'user' || n || '@example.com', false,
       'User ' || n, '$HASH', false, 0, 0 FROM generate_series(1, $USERS) AS n"
SQL_SQLITE="WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $USERS)
INSERT INTO users (id, username, email, email_verified, name, password_hash, disabled, created_at, updated_at)
SELECT lower(hex(randomblob(16))), 'user' || substr('0000000' || n, -7), 'user' || n || '@example.com', 0,
       'User ' || n, '$HASH', 0, 0, 0 FROM seq"
if [[ -n "$PG_ADMIN_URL" ]]; then
  psql "$GATEHOUSE_DATABASE_URL" -qc "$SQL_PG" -c "ANALYZE users"
else
  sqlite3 "$WORK/gatehouse.db" "PRAGMA journal_mode=WAL; $SQL_SQLITE; ANALYZE;" >/dev/null
fi
echo "   done in $(( $(date +%s) - started )) s"

"$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fs "$ISSUER/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# Console session.
JAR="$WORK/jar"
curl -s -c "$JAR" -b "$JAR" "$ISSUER/login?return_to=%2Fadmin%2Fusers" -o "$WORK/login.html"
CSRF=$(grep -o 'name="csrf_token" value="[^"]*"' "$WORK/login.html" | cut -d'"' -f4)
curl -s -c "$JAR" -b "$JAR" -o /dev/null \
  --data-urlencode "return_to=/admin/users" --data-urlencode "csrf_token=$CSRF" \
  --data-urlencode "username=root" --data-urlencode "password=correct horse battery" "$ISSUER/login"
# Admin API token.
TOKEN=$(curl -s -u "bench-admin:$SECRET" -d grant_type=client_credentials "$ISSUER/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

measure() { # label, then curl arguments
  local label=$1; shift
  local times=()
  for _ in $(seq 1 "$RUNS"); do
    times+=("$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$@")")
  done
  printf '%s\n' "${times[@]}" | python3 -c "
import sys
rows=[l.split() for l in sys.stdin if l.strip()]
codes={r[0] for r in rows}; ms=sorted(float(r[1])*1000 for r in rows)
p=lambda q: ms[min(len(ms)-1,int(q*len(ms)))]
print(f'  {\"$label\":<44} status {\",\".join(sorted(codes))}  p50 {p(0.5):6.1f} ms  p95 {p(0.95):6.1f} ms  max {ms[-1]:6.1f} ms')"
}

DEEP="user0900000"
echo "== $BACKEND, $USERS users, $RUNS requests each (curl on loopback, release build)"
measure "console: users page (first 50)" -b "$JAR" "$ISSUER/admin/users"
measure "console: search q=user0765" -b "$JAR" "$ISSUER/admin/users?q=user0765"
measure "console: search by email q=user76543@" -b "$JAR" "$ISSUER/admin/users?q=user76543%40"
measure "console: deep page after=$DEEP" -b "$JAR" "$ISSUER/admin/users?after=$DEEP"
measure "API: GET /users?limit=50" -H "Authorization: Bearer $TOKEN" "$ISSUER/admin/api/v1/users?limit=50"
measure "API: GET /users?q=user0765" -H "Authorization: Bearer $TOKEN" "$ISSUER/admin/api/v1/users?q=user0765"
measure "API: GET /users?after=$DEEP" -H "Authorization: Bearer $TOKEN" "$ISSUER/admin/api/v1/users?after=$DEEP"
echo "  server RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$SERVER_PID/status)"
