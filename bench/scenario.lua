-- wrk script shared by every scenario of bench/run.sh.
--
-- Environment (set by run.sh):
--   BENCH_METHOD   GET (default) or POST
--   BENCH_BODY     request body, sent as application/x-www-form-urlencoded;
--                  with BENCH_POOL, "{}" in it stands for a pool item
--   BENCH_AUTH     value of the Authorization header (e.g. "Basic ...")
--   BENCH_COOKIE   value of the Cookie header
--   BENCH_THREADS  wrk's -t (a thread cannot ask wrk for it)
--   BENCH_POOL     a file of one-time values, one a line (authorization
--                  codes, refresh tokens): each request consumes one, and
--                  thread i of n takes lines i, i+n, ... A request finding
--                  its thread's pool empty counts as `pool_exhausted` and
--                  sends "exhausted", which the server refuses (non-2xx).
--   BENCH_CHAIN    1: a 200 answer's "refresh_token" goes back into the
--                  pool (refresh with rotation: every chain refreshes its
--                  own newest token, as a client does)
--   BENCH_MINT     a file prefix: each 3xx answer's Location `code=` is
--                  appended to PREFIX.<thread>; a thread stops after
--                  BENCH_MINT_COUNT / BENCH_THREADS codes
--
-- done() prints one machine-readable line that run.sh parses:
--   BENCH requests=N duration_us=N rps=F p50_us=N p90_us=N p99_us=N max_us=N
--         connect_errors=N read_errors=N write_errors=N status_errors=N
--         timeouts=N non2xx=N pool_exhausted=N
-- (non2xx counts every answer outside 200-299, 3xx included, except in
-- BENCH_MINT mode, where the 3xx redirect is the expected answer.)

local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY") or ""
local auth = os.getenv("BENCH_AUTH") or ""
local cookie = os.getenv("BENCH_COOKIE") or ""
local pool_file = os.getenv("BENCH_POOL") or ""
local chain = os.getenv("BENCH_CHAIN") == "1"
local mint = os.getenv("BENCH_MINT") or ""
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")

wrk.method = method
local headers = { ["Accept"] = "application/json" }
if body ~= "" then
  headers["Content-Type"] = "application/x-www-form-urlencoded"
end
if auth ~= "" then
  headers["Authorization"] = auth
end
if cookie ~= "" then
  headers["Cookie"] = cookie
end
for k, v in pairs(headers) do
  wrk.headers[k] = v
end
if body ~= "" and pool_file == "" then
  wrk.body = body
end

-- Main state: hands each thread its number.
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

-- Thread state.
non2xx = 0
pool_exhausted = 0
minted = 0
-- A queue: items pool[head..tail]. (Not table.insert: the length of a
-- table whose first slots were cleared is not defined.)
local pool, head, tail = {}, 1, 0
local mint_out, mint_quota

function init(args)
  if pool_file ~= "" then
    local n = 0
    for line in io.lines(pool_file) do
      if n % nthreads == id and line ~= "" then
        tail = tail + 1
        pool[tail] = line
      end
      n = n + 1
    end
  end
  if mint ~= "" then
    mint_out = io.open(mint .. "." .. id, "a")
    mint_out:setvbuf("line") -- wrk never closes a thread's files
    mint_quota = math.ceil(tonumber(os.getenv("BENCH_MINT_COUNT") or "0") / nthreads)
  end
end

if pool_file ~= "" then
  function request()
    local item = nil
    if head <= tail then
      item = pool[head]
      pool[head] = nil
      head = head + 1
    else
      pool_exhausted = pool_exhausted + 1
      item = "exhausted"
    end
    return wrk.format(nil, nil, nil, (body:gsub("{}", item)))
  end
end

function response(status, hdrs, resp_body)
  if mint ~= "" then
    if status >= 300 and status < 400 then
      local location = hdrs["Location"] or hdrs["location"] or ""
      local code = location:match("[?&]code=([^&]+)")
      if code then
        mint_out:write(code, "\n")
        minted = minted + 1
        if minted >= mint_quota then
          mint_out:flush()
          wrk.thread:stop()
        end
        return
      end
    end
    non2xx = non2xx + 1
    return
  end
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  elseif chain then
    local token = resp_body:match('"refresh_token"%s*:%s*"([^"]+)"')
    if token then
      tail = tail + 1
      pool[tail] = token
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local bad, exhausted = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
    exhausted = exhausted + (thread:get("pool_exhausted") or 0)
  end
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "connect_errors=%d read_errors=%d write_errors=%d status_errors=%d timeouts=%d " ..
    "non2xx=%d pool_exhausted=%d\n",
    summary.requests, summary.duration,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, bad, exhausted))
end
