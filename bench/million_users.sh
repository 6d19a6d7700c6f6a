#!/usr/bin/env bash
# Fills a database with 1,000,000 users (all sharing one password hash,
# computed once by `gatehouse user add` for the admin — hashing each row would
# take hours), starts the release server on it, and times the admin users
# page, prefix searches and a deep page, through the console (session cookie)
# and the admin API (bearer token). Prints, per request kind, the rows it
# returned, p50/p95/max and whether p95 is under 100 ms; then follows `next`
# through whole searches whose matches span both runs of a search (username
# matches by username, then email-only matches by email) and checks every
# page against the expected list; then the database plans of both runs.
#
#   bench/million_users.sh                       # SQLite
#   bench/million_users.sh --postgres postgres://postgres@127.0.0.1:5432/postgres
#   USERS=20000 bench/million_users.sh           # fewer rows (a quick check)
#   GATEHOUSE_BIN=/tmp/gatehouse bench/million_users.sh   # build nothing
#   RUNS=50 …                                    # timed requests per kind (25)
#   KEEP=1 …                                     # keep the database afterwards
#
# Every kind is first fetched once untimed: a status other than 200 or a row
# count other than expected marks the line with `!` and makes the script
# exit 1, so a broken sign-in cannot pass for a fast page. A walk that
# returns another list than expected (order, duplicates, a page short of
# its limit before the end) does the same.
set -euo pipefail

# A relative GATEHOUSE_BIN is meant from where the script was started.
if [[ -n "${GATEHOUSE_BIN:-}" ]]; then GATEHOUSE_BIN=$(realpath "$GATEHOUSE_BIN"); fi
cd "$(dirname "$0")/.."
USERS=${USERS:-1000000}
RUNS=${RUNS:-25}
KEEP=${KEEP:-}
PG_ADMIN_URL=""
if [[ "${1:-}" == "--postgres" ]]; then PG_ADMIN_URL=${2:?--postgres needs a URL}; fi
if (( USERS < 10000 )); then echo "USERS must be at least 10000 (the probes need 1,000-user prefixes)" >&2; exit 2; fi

if [[ -n "${GATEHOUSE_BIN:-}" ]]; then
  # A binary built beforehand, e.g. while the working tree compiled.
  BIN=$GATEHOUSE_BIN
else
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${TMPDIR:-/tmp}/gatehouse-target}
  cargo build --release --quiet
  BIN="$CARGO_TARGET_DIR/release/gatehouse"
fi

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
  sql() { psql "$GATEHOUSE_DATABASE_URL" -X -q -At -c "$1"; }
else
  export GATEHOUSE_DATABASE_URL="sqlite://$WORK/gatehouse.db"
  BACKEND=SQLite
  sql() { sqlite3 "$WORK/gatehouse.db" "$1"; }
fi
SERVER_PID=""
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  if [[ -n "$KEEP" ]]; then
    echo "kept: $WORK${PG_ADMIN_URL:+ and database $DB}"
    return
  fi
  if [[ -n "$PG_ADMIN_URL" ]]; then psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
load() { uptime | sed 's/.*load average/load average/'; }

echo "== $BACKEND, $USERS users, binary $BIN"
echo "   $(nproc) cores, $(load) at the start"
"$BIN" migrate >/dev/null
echo 'correct horse battery' | "$BIN" user add root --role admin --password-stdin >/dev/null
"$BIN" client add bench-admin --grant client_credentials --resource gatehouse-admin > "$WORK/client.txt"
"$BIN" client grant-role bench-admin admin >/dev/null
SECRET=$(awk '/client_secret:/ {print $2}' "$WORK/client.txt")
# The admin's hash, reused by every generated user: a real one, in the format
# Gatehouse writes.
HASH=$(sql "SELECT password_hash FROM users WHERE username = 'root'")
[[ "$HASH" == '$argon2id$'* ]] || { echo "unexpected password hash: $HASH" >&2; exit 1; }

echo "== generating $USERS users (user0000001 …, email user1@example.com …) and 130 around a seam"
started=$(date +%s.%N)
SQL_PG="INSERT INTO users (id, username, email, email_verified, name, password_hash, disabled, created_at, updated_at)
SELECT md5(n::text)::uuid::text, 'user' || lpad(n::text, 7, '0'), 'user' || n || '@example.com', false,
       'User ' || n, '$HASH', false, 0, 0 FROM generate_series(1, $USERS) AS n"
SQL_SQLITE="WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $USERS)
INSERT INTO users (id, username, email, email_verified, name, password_hash, disabled, created_at, updated_at)
SELECT lower(hex(randomblob(16))), 'user' || substr('0000000' || n, -7), 'user' || n || '@example.com', 0,
       'User ' || n, '$HASH', 0, 0, 0 FROM seq"
# 130 more users around a seam between the two runs of a search for "zz",
# sorting after every generated username (so no other probe sees them):
# 45 username matches (their emails match too: the email run must skip
# them), then, in email order, 10 users sharing one email (the cursor must
# break the tie by username) and 75 more email-only matches.
SEAM=zz
seam_rows() { # $1: the literal for false
  python3 - "$1" <<'PY'
import sys, uuid
false = sys.argv[1]
rows = [(f"zz{i:03d}", f"zz{i:03d}@example.com") for i in range(1, 46)]
rows += [(f"yy-shared-{i:02d}", "zz-shared@example.com") for i in range(1, 11)]
rows += [(f"yy{i:03d}", f"zz.y{i:03d}@example.com") for i in range(1, 76)]
values = ",\n".join(
    f"('{uuid.uuid5(uuid.NAMESPACE_DNS, u)}', '{u}', '{e}', {false}, 'Seam {u}', 'x', {false}, 0, 0)"
    for u, e in rows)
print("INSERT INTO users (id, username, email, email_verified, name, password_hash, disabled,"
      f" created_at, updated_at) VALUES\n{values};")
PY
}
if [[ -n "$PG_ADMIN_URL" ]]; then
  psql "$GATEHOUSE_DATABASE_URL" -qc "$SQL_PG" -c "$(seam_rows false)" -c "ANALYZE users"
  SIZE=$(sql "SELECT pg_size_pretty(pg_database_size(current_database())) || ' database, '
              || pg_size_pretty(pg_total_relation_size('users')) || ' users table with its indexes'")
else
  sqlite3 "$WORK/gatehouse.db" "PRAGMA journal_mode=WAL; $SQL_SQLITE; $(seam_rows 0) ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
  SIZE="$(du -m "$WORK/gatehouse.db" | cut -f1) MiB database file"
fi
echo "   done in $(python3 -c "print(f'{$(date +%s.%N) - $started:.1f}')") s; $SIZE; $(load)"

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

# Probes scale with USERS; at 1,000,000 they are user0900000, user0765 and
# user76543@.
DEEP=$(printf 'user%07d' $((USERS * 9 / 10)))          # 10 % of the users follow it
HIT=$(printf 'user%07d' $((USERS * 765 / 1000)))
PREFIX=${HIT:0:8}                                       # 1,000 usernames, no email
EMAIL="user$((USERS * 76543 / 1000000))@"               # one email, no username
NONE="nobody"                                           # neither
# user09 at 1,000,000: the last tenth of the usernames (a planner that walks
# the username index and filters must pass the other nine tenths first).
LATE=${DEEP:0:$((11 - ${#USERS} + 2))}
# q=u after the 20th username from the end: the page takes those 20 from
# the username run, then the email run reads every email (they all start
# with u) and keeps none (their usernames were in the username run).
LASTU=$(printf 'user%07d' $((USERS - 20)))
# user1 at 1,000,000: one username (user1000000), then 111,110 email-only
# matches (user1@, user10@ …): the first page spans both runs. ECURSOR is
# a cursor deep in its email run (user150000@).
EN=$((USERS * 15 / 100))
EPREFIX="user${EN:0:1}"
ECURSOR="email:$(printf 'user%07d' "$EN"):user$EN@example.com"

FAILED=""
# label, expected rows, then curl arguments. Console pages count the user
# links of the table, API answers the length of `users`.
measure() {
  local label=$1 expected=$2; shift 2
  local first times=()
  first=$(curl -s -o "$WORK/body" -w '%{http_code}' "$@")
  local rows
  rows=$(python3 - "$WORK/body" <<'EOF'
import json, re, sys
body = open(sys.argv[1], encoding="utf-8", errors="replace").read()
try:
    print(len(json.loads(body)["users"]))
except (ValueError, KeyError, TypeError):
    print(len(re.findall(r'<td><a href="/admin/users/', body)))
EOF
)
  for _ in $(seq 1 "$RUNS"); do
    times+=("$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$@")")
  done
  local line
  line=$(printf '%s\n' "${times[@]}" | python3 -c "
import sys
rows=[l.split() for l in sys.stdin if l.strip()]
codes={r[0] for r in rows} | {'$first'}; ms=sorted(float(r[1])*1000 for r in rows)
p=lambda q: ms[min(len(ms)-1,int(q*len(ms)))]
bad = codes != {'200'} or '$rows' != '$expected'
verdict = 'yes' if p(0.95) < 100 else 'NO'
print(f'{\"!\" if bad else \" \"} {\"$label\":<46} {\",\".join(sorted(codes))} rows {\"$rows\":>3}/{\"$expected\":<3} p50 {p(0.5):7.1f}  p95 {p(0.95):7.1f}  max {ms[-1]:7.1f} ms  <100ms: {verdict}')")
  echo "$line"
  [[ "$line" == '!'* ]] && FAILED=1
  return 0
}
console() { measure "$1" "$2" -b "$JAR" -G "$ISSUER/admin/users" "${@:3}"; }
api() { measure "$1" "$2" -H "Authorization: Bearer $TOKEN" -G "$ISSUER/admin/api/v1/users" "${@:3}"; }

echo "== $RUNS requests each, one at a time (curl on loopback); $(load)"
echo "  kind                                           status  rows/expected   times in ms"
console "console: users page (first 50)"              50
console "console: search q=$PREFIX (1,000 users)"     50 --data-urlencode "q=$PREFIX"
console "console: search q=$EMAIL (one email)"        1  --data-urlencode "q=$EMAIL"
console "console: search q=u (every user)"            50 --data-urlencode "q=u"
console "console: search q=$NONE (no match)"          0  --data-urlencode "q=$NONE"
console "console: search q=$LATE (last tenth)"        50 --data-urlencode "q=$LATE"
console "console: deep page after=$DEEP"              50 --data-urlencode "after=$DEEP"
console "console: q=u, deep page after=$DEEP"         50 --data-urlencode "q=u" --data-urlencode "after=$DEEP"
console "console: q=u, end of usernames after=$LASTU" 20 --data-urlencode "q=u" --data-urlencode "after=$LASTU"
console "console: search q=$EPREFIX (username, then emails)" 50 --data-urlencode "q=$EPREFIX"
console "console: q=$EPREFIX, deep in the email run"      50 --data-urlencode "q=$EPREFIX" --data-urlencode "after=$ECURSOR"
console "console: q=$SEAM, across the seam after=${SEAM}040" 50 --data-urlencode "q=$SEAM" --data-urlencode "after=${SEAM}040"
api "API: GET /users?limit=50"                        50 --data-urlencode "limit=50"
api "API: GET /users?q=$PREFIX"                       50 --data-urlencode "q=$PREFIX"
api "API: GET /users?q=u"                             50 --data-urlencode "q=u"
api "API: GET /users?q=$NONE"                         0  --data-urlencode "q=$NONE"
api "API: GET /users?q=$LATE"                         50 --data-urlencode "q=$LATE"
api "API: GET /users?after=$DEEP"                     50 --data-urlencode "after=$DEEP"
api "API: GET /users?q=u&after=$LASTU"                20 --data-urlencode "q=u" --data-urlencode "after=$LASTU"
api "API: GET /users?q=$EPREFIX"                      50 --data-urlencode "q=$EPREFIX"
api "API: GET /users?q=$EPREFIX&after=email:…"        50 --data-urlencode "q=$EPREFIX" --data-urlencode "after=$ECURSOR"
api "API: GET /users?q=$SEAM&after=${SEAM}040"          50 --data-urlencode "q=$SEAM" --data-urlencode "after=${SEAM}040"

# walk LABEL api|console LIMIT PREFIX: follows `next` from the first page to
# the last and compares the users, in order, with the list computed here
# from the database's rows (username matches by username, then email-only
# matches by email and username; Python's str order is the byte order of
# both databases).
cat >"$WORK/walk.py" <<'PY'
import html, json, re, sys, time, urllib.parse, urllib.request
label, mode, limit, prefix, base, auth, rows_file = sys.argv[1:8]
limit = int(limit)
rows = [line.rstrip("\n").split("|", 1) for line in open(rows_file, encoding="utf-8") if line.strip()]
by_username = sorted(u for u, e in rows if u.startswith(prefix))
by_email = sorted((e, u) for u, e in rows if e.startswith(prefix) and not u.startswith(prefix))
expected = by_username + [u for e, u in by_email]
headers = {}
if mode == "api":
    headers["Authorization"] = "Bearer " + auth
else:  # a curl cookie jar
    cookies = [l.split("\t") for l in open(auth) if l.startswith("#HttpOnly_") or not l.startswith("#")]
    headers["Cookie"] = "; ".join(f"{c[5]}={c[6].strip()}" for c in cookies if len(c) == 7)
# following: the API's `next` cursor, or the console's "Next page" link.
got, pages, slowest, following, problem = [], 0, 0.0, None, ""
while True:
    if mode == "api":
        params = {"q": prefix, "limit": limit} | ({"after": following} if following is not None else {})
        url = f"{base}/admin/api/v1/users?{urllib.parse.urlencode(params)}"
    else:
        url = base + (following or f"/admin/users?{urllib.parse.urlencode({'q': prefix})}")
    started = time.monotonic()
    body = urllib.request.urlopen(urllib.request.Request(url, headers=headers)).read().decode()
    slowest = max(slowest, time.monotonic() - started)
    pages += 1
    if mode == "api":
        page = json.loads(body)
        names, following = [u["username"] for u in page["users"]], page.get("next")
    else:
        names = [urllib.parse.unquote(html.unescape(n)) for n in re.findall(r'<td><a href="/admin/users/([^"]*)"', body)]
        link = re.search(r'<a href="([^"]*)">Next page', body)
        following = html.unescape(link.group(1)) if link else None
    got += names
    if following is not None and len(names) != limit:
        problem = f"page {pages} has {len(names)} users and a next link"
    if following is None or problem or pages > len(expected) + 2:
        break
if not problem and got != expected:
    first = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
    problem = (f"{len(got)} users ({len(set(got))} distinct), expected {len(expected)}; first difference at "
               f"{first}: got {got[first:first + 3]}, expected {expected[first:first + 3]}")
print(f"{'!' if problem else ' '} walk {label:<40} {len(got):>7} users in {pages:>5} pages, "
      f"slowest page {slowest * 1000:7.1f} ms{'  ' + problem if problem else ''}")
PY
walk() {
  local label=$1 mode=$2 limit=$3 prefix=$4 line auth rows="$WORK/rows-$4"
  if [[ ! -f "$rows" ]]; then
    sql "SELECT username, email FROM users WHERE substr(username, 1, ${#prefix}) = '$prefix'
         OR substr(email, 1, ${#prefix}) = '$prefix'" >"$rows"
  fi
  if [[ $mode == api ]]; then auth=$TOKEN; else auth=$JAR; fi
  line=$(python3 "$WORK/walk.py" "$label" "$mode" "$limit" "$prefix" "$ISSUER" "$auth" "$rows")
  echo "$line"
  [[ "$line" == '!'* ]] && FAILED=1
  return 0
}
echo "== whole searches, following next; $(load)"
walk "console: q=$SEAM (pages of 50)"          console 50  "$SEAM"
walk "API: q=$SEAM&limit=7"                    api     7   "$SEAM"
walk "API: q=$SEAM&limit=45 (= username run)"  api     45  "$SEAM"
walk "API: q=$SEAM&limit=50"                   api     50  "$SEAM"
walk "API: q=$SEAM&limit=200 (one page)"       api     200 "$SEAM"
walk "API: q=$EPREFIX&limit=200"               api     200 "$EPREFIX"
echo "  server RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$SERVER_PID/status); $(load) at the end"

# The plans of the two runs of db::user_search::search, with literals in
# place of the bound values: SQLite (STAT4) and PostgreSQL's custom plans
# see the values too. For SQLite this is the system sqlite3, not the library
# bundled in the server; their planners may differ.
if [[ -n "$PG_ADMIN_URL" ]]; then TOP='chr(1114111)'; else TOP='char(1114111)'; fi
# One lower bound per run, the tighter of the prefix and the cursor (as the
# server binds them).
username_run() { # prefix [username]: the cursor
  local lower="username >= '$1'"
  [[ -n "${2:-}" && ! "$2" < "$1" ]] && lower="username > '$2'"
  echo "SELECT * FROM users WHERE $lower AND username < '$1' || $TOP ORDER BY username LIMIT 51"
}
email_run() { # prefix [email username]: the cursor
  local lower="email >= '$1'"
  [[ -n "${2:-}" && ! "$2" < "$1" ]] && lower="email >= '$2' AND (email > '$2' OR username > '$3')"
  echo "SELECT * FROM users WHERE $lower AND email < '$1' || $TOP
    AND NOT (username >= '$1' AND username < '$1' || $TOP) ORDER BY email, username LIMIT 51"
}
# Before the email run, the server asks whether the email range holds at
# least 2,000 users and, if so, whether fewer than 2,000 users' usernames
# fall outside the prefix (then it reads those and sorts them itself). Each
# probe reads one index range in index order and stops at its LIMIT; the
# "others" probe is two: below the prefix (descending), then above it.
FEW=2000
email_range_probe() {
  echo "SELECT username FROM users WHERE email >= '$1' AND email < '$1' || $TOP ORDER BY email LIMIT $FEW"
}
others_below_probe() {
  echo "SELECT id, username, email FROM users WHERE username < '$1' ORDER BY username DESC LIMIT $FEW"
}
others_above_probe() { # prefix, rows the below probe found
  echo "SELECT id, username, email FROM users WHERE username >= '$1' || $TOP ORDER BY username LIMIT $((FEW - $2))"
}
plan() { # label, query
  echo "-- $1"
  if [[ -n "$PG_ADMIN_URL" ]]; then
    sql "EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) $2" | sed 's/^/   /'
  else
    sql "EXPLAIN QUERY PLAN $2" | sed 's/^/   /'
  fi
}
echo "== plans of the two runs"
# psql drops the noncharacter from its output, so the upper bounds print
# as the bare prefix.
[[ -n "$PG_ADMIN_URL" ]] && echo "   (psql does not print the last character, U+10FFFF, of each upper bound)"
for q in "$PREFIX" "$EMAIL" u "$NONE" "$LATE" "$EPREFIX"; do
  plan "username run, q=$q" "$(username_run "$q")"
  plan "email run, q=$q" "$(email_run "$q")"
done
for q in u "$EPREFIX"; do
  plan "email run, q=$q: does the email range hold $FEW users?" "$(email_range_probe "$q")"
  plan "email run, q=$q: fewer than $FEW usernames below the prefix?" "$(others_below_probe "$q")"
  below=$(sql "SELECT count(*) FROM ($(others_below_probe "$q")) AS b")
  plan "email run, q=$q: and above it ($below below)" "$(others_above_probe "$q" "$below")"
done
# The server's statements are prepared: after five runs PostgreSQL may
# switch to a generic plan, which does not see the values. Print that plan
# of each probe too (it must also read one index range and stop).
generic_plan() { # label, query with $1 …, then the values
  local label=$1 query=$2; shift 2
  local values
  values=$(printf "'%s'," "$@"); values=${values%,}
  echo "-- $label (generic plan)"
  psql "$GATEHOUSE_DATABASE_URL" -X -q -At -c "SET plan_cache_mode = force_generic_plan" \
    -c "PREPARE probe AS $query" -c "EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) EXECUTE probe($values)" | sed 's/^/   /'
}
if [[ -n "$PG_ADMIN_URL" ]]; then
  U=$(printf 'u\U10FFFF')
  generic_plan "email run, q=u: email range probe" \
    'SELECT username FROM users WHERE email >= $1 AND email < $2 ORDER BY email LIMIT $3' u "$U" "$FEW"
  generic_plan "email run, q=u: others below the prefix" \
    'SELECT id, username, email FROM users WHERE username < $1 ORDER BY username DESC LIMIT $2' u "$FEW"
  generic_plan "email run, q=u: others above the prefix" \
    'SELECT id, username, email FROM users WHERE username >= $1 ORDER BY username LIMIT $2' "$U" "$FEW"
fi
plan "username run, q=u after $DEEP" "$(username_run u "$DEEP")"
ecursor=${ECURSOR#email:}
plan "email run, q=$EPREFIX after $ECURSOR" "$(email_run "$EPREFIX" "${ecursor#*:}" "${ecursor%%:*}")"

if [[ -n "$FAILED" ]]; then echo "a request kind failed (marked !)" >&2; exit 1; fi
