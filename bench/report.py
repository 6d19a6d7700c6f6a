#!/usr/bin/env python3
"""Summarises a bench/run.sh results.tsv: medians over the rounds, the
ratio to the peer, issue 12's targets, a Markdown table and an SVG chart.

  report.py RESULTS.tsv [--svg PATH] [--markdown PATH]
  report.py RESULTS.tsv --soak

Rows of results.tsv (tab-separated; written by run.sh):
  meta KEY VALUE
  ready TARGET ALG MS                 exec to ready, per start
  idle TARGET RSS_KIB
  argon2 THREADS PER_SEC              argon2id alone on all cores
  mint ROUND TARGET CODES SECONDS
  run ROUND TARGET SCENARIO RPS P50_US P90_US P99_US REQUESTS NON2XX
      SOCKET_ERRORS POOL_EXHAUSTED CPU_US_PER_REQ DB_CPU_US_PER_REQ
      RSS_KIB RSS_PEAK_KIB
  soak TARGET SLICE RPS P99_US NON2XX RSS_KIB WAL_BYTES DB_BYTES
"""

import argparse
import collections
import html
import statistics
import sys

SCENARIOS = ["discovery", "jwks", "cc_es256", "cc_eddsa", "cc_rs256", "introspect",
             "userinfo", "code", "refresh", "signin"]
LABELS = {
    "discovery": "discovery", "jwks": "JWKS", "cc_es256": "client_credentials ES256",
    "cc_eddsa": "client_credentials EdDSA", "cc_rs256": "client_credentials RS256",
    "introspect": "introspection", "userinfo": "userinfo", "code": "code exchange",
    "refresh": "refresh (rotation)", "signin": "full sign-in (argon2id)",
}
TARGETS = ["sqlite", "postgres", "peer"]
TARGET_LABELS = {"sqlite": "Gatehouse SQLite", "postgres": "Gatehouse PostgreSQL", "peer": "oidc-provider (Node)"}
COLORS = {"sqlite": "#2b6cb0", "postgres": "#38a169", "peer": "#c05621"}
MB = 1_000_000 / 1024  # KiB per (decimal) MB: the limits are in MB


def load(path):
    rows = collections.defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if parts and parts[0]:
                rows[parts[0]].append(parts[1:])
    return rows


def median(values):
    return statistics.median(values) if values else None


class Summary:
    def __init__(self, rows):
        self.meta = {k: v for k, v in rows["meta"]}
        self.runs = collections.defaultdict(list)  # (target, scenario) -> [dict]
        for r in rows["run"]:
            (rnd, target, scen, rps, p50, p90, p99, requests, non2xx, sockerr, exhausted,
             cpu, dbcpu, rss, peak) = r
            self.runs[(target, scen)].append({
                "round": int(rnd), "rps": float(rps), "p50": int(p50), "p90": int(p90),
                "p99": int(p99), "requests": int(requests),
                "errors": int(non2xx) + int(sockerr) + int(exhausted), "cpu": int(cpu),
                "dbcpu": int(dbcpu), "rss": int(rss), "peak": int(peak),
            })
        self.ready = collections.defaultdict(list)
        for target, _alg, ms in rows["ready"]:
            self.ready[target].append(float(ms))
        self.idle = {t: int(k) for t, k in rows["idle"]}
        self.argon2 = float(rows["argon2"][-1][1]) if rows["argon2"] else None
        self.targets = [t for t in TARGETS if any(k[0] == t for k in self.runs)]
        self.scenarios = [s for s in SCENARIOS if any(k[1] == s for k in self.runs)]

    def med(self, target, scen, key):
        return median([r[key] for r in self.runs.get((target, scen), [])])

    def ratio(self, target, scen):
        """Median over the rounds of this round's target / peer req/s."""
        mine = {r["round"]: r["rps"] for r in self.runs.get((target, scen), [])}
        peer = {r["round"]: r["rps"] for r in self.runs.get(("peer", scen), [])}
        ratios = [mine[k] / peer[k] for k in mine if k in peer and peer[k] > 0]
        return median(ratios)

    def errors(self, target, scen):
        return sum(r["errors"] for r in self.runs.get((target, scen), []))

    def peak(self, target, scen):
        return max((r["peak"] for r in self.runs.get((target, scen), [])), default=None)


def fmt(v, spec=",.0f", none="–"):
    return none if v is None else format(v, spec).replace(",", " ")


def table(s):
    head = ["scenario", "target", "req/s", "× peer", "p50 ms", "p99 ms", "errors",
            "CPU µs/req", "DB CPU µs/req", "peak RSS MiB"]
    out = []
    for scen in s.scenarios:
        for t in s.targets:
            if (t, scen) not in s.runs:
                continue
            ratio = s.ratio(t, scen) if t != "peer" else None
            dbcpu = s.med(t, scen, "dbcpu") if t == "postgres" else None
            out.append([LABELS[scen], t, fmt(s.med(t, scen, "rps")),
                        fmt(ratio, ".2f") + ("×" if ratio is not None else ""),
                        fmt(s.med(t, scen, "p50") / 1000, ".2f"), fmt(s.med(t, scen, "p99") / 1000, ".2f"),
                        str(s.errors(t, scen)), fmt(s.med(t, scen, "cpu")), fmt(dbcpu),
                        fmt(s.peak(t, scen) / 1024, ".1f")])
    return head, out


def print_text(head, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    for i, row in enumerate([head] + rows):
        print("  ".join(str(c).rjust(w) if j >= 2 else str(c).ljust(w) for j, (c, w) in enumerate(zip(row, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))


def markdown(head, rows):
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def mem(kib):
    return f"{kib * 1024 / 1e6:.1f} MB ({kib / 1024:.1f} MiB)"


def checks(s):
    """issue 12's targets: (label, value text, passed or None if not measured)."""
    out = []

    def rate(label, t, scen, minimum):
        v = s.med(t, scen, "rps")
        out.append((label, f"{fmt(v)}/s", None if v is None else v >= minimum))

    def ratio(label, t, scen, minimum):
        v = s.ratio(t, scen)
        out.append((label, f"{fmt(v, '.2f')}×", None if v is None else v >= minimum))

    for t in ("sqlite", "postgres"):
        ratio(f"client_credentials ES256 {t} ≥ 5× the peer", t, "cc_es256", 5)
    rate("client_credentials ES256 sqlite ≥ 10,000/s", "sqlite", "cc_es256", 10_000)
    for t in ("sqlite", "postgres"):
        v = s.med(t, "cc_es256", "p99")
        out.append((f"client_credentials ES256 {t} p99 < 20 ms", f"{fmt(None if v is None else v / 1000, '.1f')} ms",
                    None if v is None else v < 20_000))
    for scen in ("introspect", "userinfo"):
        rate(f"{LABELS[scen]} sqlite ≥ 10,000/s", "sqlite", scen, 10_000)
        for t in ("sqlite", "postgres"):
            ratio(f"{LABELS[scen]} {t} ≥ 3× the peer", t, scen, 3)
    for scen in ("code", "refresh"):
        rate(f"{LABELS[scen]} postgres ≥ 2,000/s", "postgres", scen, 2_000)
        rate(f"{LABELS[scen]} sqlite ≥ 3,000/s", "sqlite", scen, 3_000)
    for t in ("sqlite", "postgres"):
        v = s.med(t, "signin", "rps")
        if v is None or not s.argon2:
            out.append((f"full sign-in {t} ≥ 90 % of argon2 alone", "–", None))
        else:
            share = v / s.argon2
            out.append((f"full sign-in {t} ≥ 90 % of argon2 alone ({s.argon2:.1f}/s)", f"{share:.0%}", share >= 0.9))
    for t in ("sqlite", "postgres"):
        if t in s.idle:
            out.append((f"{t} idle RSS < 20 MB", mem(s.idle[t]), s.idle[t] < 20 * MB))
        peaks = [s.peak(t, scen) for scen in s.scenarios if scen != "signin" and (t, scen) in s.runs]
        if peaks:
            out.append((f"{t} peak RSS outside sign-in < 64 MB", mem(max(peaks)), max(peaks) < 64 * MB))
        if s.ready.get(t):
            worst = max(s.ready[t])
            out.append((f"{t} start to ready < 100 ms (every start)", f"{worst:.0f} ms", worst < 100))
    total = sum(r["errors"] for runs in s.runs.values() for r in runs)
    out.append(("zero errors and non-2xx in every run", str(total), total == 0))
    return out


def svg(s, path):
    """Horizontal bars, one group per scenario, log scale of req/s."""
    import math

    groups = [(scen, [t for t in s.targets if (t, scen) in s.runs]) for scen in s.scenarios]
    bar_h, gap, left, right, top = 14, 12, 190, 150, 58
    height = top + sum(len(ts) * bar_h + gap for _, ts in groups) + 40
    width = 820
    values = [s.med(t, scen, "rps") for scen, ts in groups for t in ts]
    lo = 10 ** math.floor(math.log10(max(1, min(values))))
    hi = 10 ** math.ceil(math.log10(max(values)))
    plot_w = width - left - right

    def x(v):
        return left + plot_w * (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))

    e = []
    e.append(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">')
    e.append(f'<rect width="{width}" height="{height}" fill="white"/>')
    title = f"Requests per second (median of {s.meta.get('wrk', '')}; log scale)"
    e.append(f'<text x="{left}" y="20" font-size="14" font-weight="bold">{html.escape(title)}</text>')
    lx = left
    for t in s.targets:
        e.append(f'<rect x="{lx}" y="30" width="12" height="12" fill="{COLORS[t]}"/>')
        e.append(f'<text x="{lx + 16}" y="40">{html.escape(TARGET_LABELS[t])}</text>')
        lx += 30 + 7 * len(TARGET_LABELS[t])
    decade = lo
    while decade <= hi:
        gx = x(decade)
        e.append(f'<line x1="{gx:.1f}" y1="{top - 6}" x2="{gx:.1f}" y2="{height - 30}" stroke="#ddd"/>')
        e.append(f'<text x="{gx:.1f}" y="{height - 14}" text-anchor="middle" fill="#555">{fmt(decade)}</text>')
        decade *= 10
    y = top
    for scen, ts in groups:
        e.append(f'<text x="{left - 8}" y="{y + len(ts) * bar_h / 2 + 4:.1f}" text-anchor="end">'
                 f'{html.escape(LABELS[scen])}</text>')
        for t in ts:
            v = s.med(t, scen, "rps")
            e.append(f'<rect x="{left}" y="{y}" width="{max(1, x(v) - left):.1f}" height="{bar_h - 2}" fill="{COLORS[t]}"/>')
            label = fmt(v)
            r = s.ratio(t, scen) if t != "peer" else None
            if r is not None:
                label += f"  ({r:.1f}× peer)"
            if s.errors(t, scen):
                label += "  errors!"
            e.append(f'<text x="{x(v) + 4:.1f}" y="{y + bar_h - 4}" fill="#222">{html.escape(label)}</text>')
            y += bar_h
        y += gap
    e.append("</svg>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(e) + "\n")


def soak(rows):
    """First slice against last: flat means req/s and RSS within ±15 % and
    the WAL no more than 15 % (or 4 MiB) above its first size."""
    by_target = collections.defaultdict(list)
    for target, i, rps, p99, non2xx, rss, wal, db in rows["soak"]:
        by_target[target].append((int(i), float(rps), int(p99), int(non2xx), int(rss), int(wal), int(db)))
    print("\nSoak, first slice -> last slice (flat: req/s and RSS within ±15 %, WAL within +15 % or +4 MiB):")
    for target, slices in by_target.items():
        first, last = slices[0], slices[-1]
        rps_change = last[1] / first[1] - 1 if first[1] else 0
        rss_change = last[4] / first[4] - 1 if first[4] else 0
        wal_flat = last[5] <= max(first[5] * 1.15, first[5] + 4 * 1048576)
        errors = sum(s[3] for s in slices)

        def verdict(ok):
            return "flat" if ok else "NOT FLAT"

        print(f"  {target}: req/s {first[1]:,.0f} -> {last[1]:,.0f} ({rps_change:+.0%}, {verdict(abs(rps_change) <= 0.15)}); "
              f"RSS {first[4] / 1024:.1f} -> {last[4] / 1024:.1f} MiB ({rss_change:+.0%}, {verdict(abs(rss_change) <= 0.15)}); "
              f"WAL {first[5] / 1048576:.1f} -> {last[5] / 1048576:.1f} MiB ({verdict(wal_flat)}); non-2xx {errors}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results")
    ap.add_argument("--svg")
    ap.add_argument("--markdown")
    ap.add_argument("--soak", action="store_true")
    args = ap.parse_args()
    rows = load(args.results)
    if args.soak:
        soak(rows)
        return
    s = Summary(rows)
    if not s.runs:
        sys.exit("no runs in " + args.results)
    print(f"Summary: {s.meta.get('wrk', '')}; medians over the rounds; × peer = median of the per-round ratios")
    head, body = table(s)
    print_text(head, body)
    print()
    for t in s.targets:
        ready = s.ready.get(t, [])
        print(f"{t}: idle RSS {s.idle.get(t, 0) / 1024:.1f} MiB; exec to ready "
              + ", ".join(f"{ms:.0f}" for ms in ready) + " ms")
    if s.argon2:
        print(f"argon2id alone: {s.argon2:.1f} hashes/s on {s.meta.get('cores', '?')} cores")
    print("\nIssue 12 targets:")
    for label, value, ok in checks(s):
        mark = "–   " if ok is None else ("pass" if ok else "FAIL")
        print(f"  {mark}  {label}: {value}")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(markdown(head, body))
            f.write("\n| target | result |\n|---|---|\n")
            for label, value, ok in checks(s):
                mark = "not measured" if ok is None else ("pass" if ok else "**fail**")
                f.write(f"| {label} | {value} ({mark}) |\n")
    if args.svg:
        svg(s, args.svg)


if __name__ == "__main__":
    main()
