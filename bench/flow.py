#!/usr/bin/env python3
"""Browser flows for bench/run.sh, against Gatehouse or the oidc-provider peer.

Both servers are driven the same way: GET /authorize (PKCE S256), follow the
redirects, fill in whatever form a page shows (a password form gets
bench-user's credentials, a consent form its first button, "Allow"),
until the client's redirect URI comes back with a code; then POST /token.

  flow.py session BASE             sign in once (consenting), print the
                                   session's Cookie header value
  flow.py tokens BASE N            sign in once, then N times authorize with
                                   prompt=consent and offline_access, consent
                                   and exchange the code: one JSON line of
                                   tokens each (refresh tokens to start the
                                   refresh scenario's chains from)
  flow.py signin BASE SECONDS C    C concurrent browsers, browser i signing
                                   in as bench-signin-i from nothing
                                   (authorize -> login -> consent -> token)
                                   again and again for SECONDS; prints the
                                   BENCH line of bench/scenario.lua (failed
                                   sign-ins counted as read_errors)
  flow.py ready URL SECS           poll URL (every ms) until it answers 200;
                                   print time.time_ns() then

Environment: BENCH_PASSWORD (bench-user's and bench-signin-N's), WEB_AUTH (the Authorization
header value of bench-web, "Basic ...").
"""

import html
import http.client
import json
import os
import re
import sys
import threading
import time
import urllib.parse

REDIRECT_URI = "http://127.0.0.1/bench-callback"
# One PKCE pair for every request: the flow is real, its randomness is not
# what is measured.
VERIFIER = "bench-verifier-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG"
CHALLENGE = "VnbqXeuJTsLy7nKkzMn9YDdWfImEkuMnnxUWWaanBUU"  # S256 of VERIFIER


class FlowError(Exception):
    pass


class Browser:
    """One browser: a keep-alive connection and a cookie jar (by name: the
    servers' cookies do not collide across paths in these flows)."""

    def __init__(self, base):
        self.base = base.rstrip("/")
        parsed = urllib.parse.urlsplit(self.base)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.conn = None
        self.cookies = {}
        self.requests = 0
        self.bad_statuses = 0

    def request(self, method, target, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, target, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, ConnectionError):
                # A keep-alive connection the server closed: once more, anew.
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        self.requests += 1
        if resp.status >= 400:
            self.bad_statuses += 1
        for line in resp.headers.get_all("Set-Cookie") or []:
            pair, _, attrs = line.partition(";")
            name, _, value = pair.strip().partition("=")
            attrs = attrs.lower()
            if "max-age=0" in attrs or "1970" in attrs or value == "":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return resp.status, resp.headers, data.decode("utf-8", "replace")

    def target(self, url):
        """The request target for url, which must be on this server."""
        if url.startswith("/"):
            return url
        if not url.startswith(self.base + "/"):
            raise FlowError(f"redirected off the server: {url}")
        return url[len(self.base):]


def authorize_target(scope, prompt=None):
    params = {
        "response_type": "code",
        "client_id": "bench-web",
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": "bench",
        "nonce": "bench",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    if prompt:
        params["prompt"] = prompt
    return "/authorize?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


FORM = re.compile(r'<form[^>]*method="post"[^>]*action="([^"]*)"[^>]*>(.*?)</form>', re.S | re.I)
INPUT = re.compile(r"<input([^>]*)>", re.I)
BUTTON = re.compile(r"<button([^>]*)>", re.I)
ATTR = re.compile(r'(\w+)="([^"]*)"')


def squeeze(page):
    return re.sub(r"\s+", " ", page)[:300]


def fill_form(page, password, username):
    """(action, body) of the page's post form: hidden fields kept, a
    password form signed in as username, the first named button pressed."""
    match = FORM.search(page)
    if not match:
        raise FlowError("a page without a form: " + squeeze(page))
    action, inner = html.unescape(match.group(1)), match.group(2)
    fields = []
    has_password = False
    for attrs in INPUT.findall(inner):
        a = dict(ATTR.findall(attrs))
        name, kind = a.get("name"), a.get("type", "text").lower()
        if not name:
            continue
        if kind == "password":
            has_password = True
            fields.append((name, password))
        elif name == "username":
            fields.append((name, username))
        else:
            fields.append((name, html.unescape(a.get("value", ""))))
    for attrs in BUTTON.findall(inner):
        a = dict(ATTR.findall(attrs))
        if a.get("name"):
            fields.append((a["name"], html.unescape(a.get("value", ""))))
            break
    return action, urllib.parse.urlencode(fields), has_password


def code_from(browser, first_target, password, username="bench-user", max_steps=12):
    """Follows a sign-in from first_target to the redirect URI; the code."""
    status, headers, page = browser.request("GET", first_target)
    for _ in range(max_steps):
        if status in (301, 302, 303, 307):
            location = headers.get("Location", "")
            if location.startswith(REDIRECT_URI):
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
                if "code" not in query:
                    raise FlowError(f"no code: {location}")
                return query["code"][0]
            status, headers, page = browser.request("GET", browser.target(location))
        elif status == 200 and "<form" in page:
            action, body, _ = fill_form(page, password, username)
            status, headers, page = browser.request("POST", browser.target(action), body)
        else:
            raise FlowError(f"unexpected {status}: {squeeze(page)}")
    raise FlowError("too many steps")


def exchange(browser, code, auth):
    body = urllib.parse.urlencode({
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": VERIFIER,
    })
    status, _, text = browser.request("POST", "/token", body, {"Authorization": auth, "Accept": "application/json"})
    if status != 200:
        raise FlowError(f"token endpoint answered {status}: {text[:300]}")
    return json.loads(text)


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"flow.py: {name} is not set")
    return value


def cmd_session(base):
    b = Browser(base)
    code = code_from(b, authorize_target("openid profile email"), env("BENCH_PASSWORD"))
    exchange(b, code, env("WEB_AUTH"))
    print("; ".join(f"{k}={v}" for k, v in b.cookies.items()))


def cmd_tokens(base, n):
    b = Browser(base)
    password, auth = env("BENCH_PASSWORD"), env("WEB_AUTH")
    code_from(b, authorize_target("openid profile email"), password)
    for _ in range(int(n)):
        code = code_from(b, authorize_target("openid profile email offline_access", "consent"), password)
        tokens = exchange(b, code, auth)
        if "refresh_token" not in tokens:
            raise FlowError(f"no refresh token: {tokens}")
        print(json.dumps({k: tokens[k] for k in ("access_token", "refresh_token")}))


def percentile(sorted_values, p):
    if not sorted_values:
        return 0
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def cmd_signin(base, seconds, connections):
    password, auth = env("BENCH_PASSWORD"), env("WEB_AUTH")
    deadline = time.monotonic() + float(seconds)
    lock = threading.Lock()
    latencies, failures, bad = [], [], [0]
    requests = [0]

    def browse(username):
        while time.monotonic() < deadline:
            b = Browser(base)  # a new browser: no session, no cookies
            started = time.monotonic()
            try:
                code = code_from(b, authorize_target("openid profile email", "consent"), password, username)
                exchange(b, code, auth)
                took = time.monotonic() - started
                with lock:
                    latencies.append(took)
            except (FlowError, OSError, http.client.HTTPException, ValueError) as e:
                with lock:
                    failures.append(str(e))
            with lock:
                bad[0] += b.bad_statuses
                requests[0] += b.requests
            if b.conn:
                b.conn.close()

    started = time.monotonic()
    # Each browser is another person (bench-signin-1 ...): concurrent
    # sign-ins are of different people.
    threads = [threading.Thread(target=browse, args=(f"bench-signin-{i + 1}",)) for i in range(int(connections))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    duration = time.monotonic() - started
    lat = sorted(int(x * 1e6) for x in latencies)
    if failures:
        print(f"{len(failures)} sign-ins failed, e.g.: {failures[0]}", file=sys.stderr)
    print(
        f"BENCH requests={len(lat)} duration_us={int(duration * 1e6)} rps={len(lat) / duration:.1f} "
        f"p50_us={percentile(lat, 50)} p90_us={percentile(lat, 90)} p99_us={percentile(lat, 99)} "
        f"max_us={lat[-1] if lat else 0} connect_errors=0 read_errors={len(failures)} write_errors=0 "
        f"status_errors={bad[0]} timeouts=0 non2xx={bad[0]} pool_exhausted=0 http_requests={requests[0]}"
    )


def cmd_ready(url, seconds):
    """Started before the server, so that its own start-up (tens of ms of
    Python) is not counted: prints time.time_ns() of the first 200."""
    parsed = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=1)
            conn.request("GET", parsed.path or "/")
            if conn.getresponse().status == 200:
                print(time.time_ns())
                return
        except OSError:
            pass
        time.sleep(0.001)
    sys.exit(f"{url} not ready after {seconds} s")


def main():
    commands = {"session": cmd_session, "tokens": cmd_tokens, "signin": cmd_signin, "ready": cmd_ready}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    try:
        commands[sys.argv[1]](*sys.argv[2:])
    except FlowError as e:
        sys.exit(f"flow.py {sys.argv[1]}: {e}")


if __name__ == "__main__":
    main()
