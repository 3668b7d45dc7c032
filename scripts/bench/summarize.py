#!/usr/bin/env python3
"""Medians with min-max of the suite's JSON lines, ours beside pymesos, as Markdown rows.

    scripts/bench/summarize.py target/bench-results.jsonl
"""
import json
import statistics
import sys
from collections import defaultdict

FIGURES = [
    ("offers_per_sec", "offers/s", True),
    ("tasks_per_sec", "tasks/s", True),
    ("acks_per_sec", "acks/s", True),
    ("time_to_target_s", "time to target (s)", False),
    ("p50_us", "p50 offer->answer (us)", False),
    ("p99_us", "p99 offer->answer (us)", False),
    ("ack_p99_us", "p99 UPDATE->ACK (us)", False),
    ("calls_per_offer", "calls per offer", False),
    ("framework_cpu_us_per_offer", "framework CPU-us per offer", False),
    ("rss_bytes_per_queued_task", "resident bytes per queued task", False),
    ("wake_rtt_us", "thread wake-up RTT, same run (us)", False),
]

# Figures that have an in-process ceiling: figure key -> ceiling key.
CEILINGS = {
    "offers_per_sec": "ceiling_offers_per_sec",
    "tasks_per_sec": "ceiling_tasks_per_sec",
}

# Figures measured against the harness's own limit (the same source answered by a minimal
# client) or the thread wake-up floor of the same run: figure key -> reference key.
LIMITS = {
    "offers_per_sec": "limit_offers_per_sec",
    "p50_us": "wake_rtt_us",
}


def fmt(values):
    if not values:
        return "–"
    med = statistics.median(values)
    return "%.4g (%.4g–%.4g)" % (med, min(values), max(values))


# Figures of a comparison between runners of our own binary (allocators).
SIDE_BY_SIDE = [
    ("offers_per_sec", "offers/s"),
    ("fraction_of_limit", "of the run's limit"),
    ("tasks_per_sec", "tasks/s"),
    ("ceiling_offers_per_sec", "ceiling offers/s"),
    ("limit_offers_per_sec", "limit offers/s"),
    ("p50_us", "p50 (us)"),
    ("p99_us", "p99 (us)"),
    ("wake_rtt_us", "wake RTT (us)"),
    ("framework_cpu_us_per_offer", "framework CPU-us per offer"),
    ("rss_bytes_per_queued_task", "resident bytes per queued task"),
]


def side_by_side(runs):
    """Runners other than ours/pymesos (e.g. allocators): one column each."""
    for case in sorted({c for c, _ in runs}):
        names = sorted({r for c, r in runs if c == case})
        print("\n### %s (%s)\n" % (case, ", ".join("%s: %d runs" % (n, len(runs[(case, n)])) for n in names)))
        print("| figure | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for key, label in SIDE_BY_SIDE:
            cols = [fmt([r[key] for r in runs[(case, n)] if r.get(key) not in (None, 0, 0.0)]) for n in names]
            print("| %s | %s |" % (label, " | ".join(cols)))


def main(path):
    runs = defaultdict(list)
    for line in open(path):
        line = line.strip()
        if line:
            r = json.loads(line)
            runs[(r["case"], r["runner"])].append(r)
    if any(runner not in ("ours", "pymesos", "before") for _, runner in runs):
        side_by_side(runs)
        return
    for case in sorted({c for c, _ in runs}):
        ours = runs.get((case, "ours"), [])
        peer = runs.get((case, "pymesos"), [])
        before = runs.get((case, "before"), [])
        print("\n### %s (%d runs ours, %d pymesos%s)\n"
              % (case, len(ours), len(peer), ", %d before" % len(before) if before else ""))
        extra_head = " before | gain |" if before else ""
        print("| figure | ours | ceiling | of ceiling | limit / floor | of limit (x floor) | pymesos | ratio |"
              + extra_head)
        print("|---|---|---|---|---|---|---|---|" + ("---|---|" if before else ""))
        for key, name, higher_better in FIGURES:
            o = [r[key] for r in ours if r.get(key) not in (None, 0, 0.0)]
            p = [r[key] for r in peer if r.get(key) not in (None, 0, 0.0)]
            if not o and not p:
                continue
            ceiling = fraction = "–"
            if key in CEILINGS:
                ck = CEILINGS[key]
                pairs = [(r[key], r[ck]) for r in ours if r.get(ck) and r.get(key) is not None]
                ceiling = fmt([c for _, c in pairs])
                fraction = fmt([v / c for v, c in pairs])
            limit = of_limit = "–"
            if key in LIMITS:
                lk = LIMITS[key]
                pairs = [(r[key], r[lk]) for r in ours if r.get(lk) and r.get(key) is not None]
                limit = fmt([c for _, c in pairs])
                of_limit = fmt([v / c for v, c in pairs])
            ratio = "–"
            if o and p:
                mo, mp = statistics.median(o), statistics.median(p)
                ratio = "%.1fx" % ((mo / mp) if higher_better else (mp / mo))
            extra = ""
            if before:
                b = [r[key] for r in before if r.get(key) not in (None, 0, 0.0)]
                gain = "–"
                if o and b:
                    mo, mb = statistics.median(o), statistics.median(b)
                    gain = "%.2fx" % ((mo / mb) if higher_better else (mb / mo))
                extra = " %s | %s |" % (fmt(b), gain)
            print("| %s | %s | %s | %s | %s | %s | %s | %s |%s"
                  % (name, fmt(o), ceiling, fraction, limit, of_limit, fmt(p), ratio, extra))
        bad = [r for r in ours + peer + before if r.get("violations")]
        if bad:
            print("\n**%d runs had correctness violations.**" % len(bad))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/bench-results.jsonl")
