"""The benchmark's report: a JSON file and a Markdown table under ``bench/results/``, and the
comparison with the previous run of the same size (a ratio more than 25% worse, or one query
more, is a regression to explain)."""

from __future__ import annotations

import json
import math
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
REGRESSION_THRESHOLD = 0.25
GOAL_RSS = 200  # MB, QUALITY.md P "Memory"
# Per-page ratios compared between runs (higher is worse).
PAGE_RATIOS = ("x_bare", "x_bare_user")


def result_stem(report: dict) -> str:
    """``bench-p<patients>-<UTC timestamp>``: one file pair per run, sorted by time."""
    stamp = report["meta"]["date"].replace("-", "").replace(":", "")[:15]
    return f"bench-p{report['meta']['patients']}-{stamp}"


def previous_report(
    results_dir: Path, patients: int, before: str | None = None, having: str | None = None
) -> dict | None:
    """The latest report of the same size (optionally older than the stem ``before``, and
    optionally only one that measured the part ``having``, e.g. "pages" or "reminders")."""
    candidates = sorted(Path(results_dir).glob(f"bench-p{patients}-*.json"))
    if before is not None:
        candidates = [c for c in candidates if c.stem < before]
    for candidate in reversed(candidates):
        report = json.loads(candidate.read_text())
        if having is None or report.get(having):
            return report
    return None


def _worse(old: float | None, new: float | None, threshold: float) -> bool:
    if old is None or new is None or any(map(math.isnan, (old, new))) or old <= 0:
        return False
    return new > old * (1 + threshold)


def compare(previous: dict | None, current: dict, threshold: float = REGRESSION_THRESHOLD):
    """Regressions of ``current`` against ``previous``: a list of readable lines."""
    if not previous:
        return []
    found = []
    old_pages = {p["key"]: p for p in previous.get("pages", []) if p.get("on_main")}
    for page in current.get("pages", []):
        old = old_pages.get(page["key"])
        if not page.get("on_main") or old is None:
            continue
        for field in PAGE_RATIOS:
            if _worse(old.get(field), page.get(field), threshold):
                change = page[field] / old[field] - 1
                found.append(
                    f"{page['key']}: {field} {old[field]} -> {page[field]} (+{change:.0%})"
                )
        if None not in (page.get("queries"), old.get("queries")) and (
            page["queries"] > old["queries"]
        ):
            found.append(f"{page['key']}: queries {old['queries']} -> {page['queries']}")
    old_engine = (previous.get("engine") or {}).get("profiles_per_second")
    new_engine = (current.get("engine") or {}).get("profiles_per_second")
    # A throughput: worse when the time per profile grew by more than 25% (old/new > 1.25).
    if old_engine and new_engine and _worse(new_engine, old_engine, threshold):
        found.append(f"rules engine: {old_engine:,} -> {new_engine:,} profiles/s")
    return found


def compare_reminders(
    previous: dict | None, current: dict, threshold: float = REGRESSION_THRESHOLD
) -> list[str]:
    """The reminder dispatch against ``previous``: its ratio to the raw ``send_mail`` rate
    (measured side by side in each run) more than ``threshold`` worse, or exactly-once lost."""
    new = current.get("reminders") or {}
    old = (previous or {}).get("reminders") or {}
    found = []
    if old.get("ratio") and new.get("ratio") and _worse(new["ratio"], old["ratio"], threshold):
        found.append(
            f"reminders: ratio to send_mail {old['ratio']} -> {new['ratio']} "
            f"({new['ratio'] / old['ratio'] - 1:.0%})"
        )
    if old.get("exactly_once") and new and not new.get("exactly_once"):
        found.append("reminders: exactly-once delivery lost")
    return found


def write(report: dict, results_dir: Path = RESULTS_DIR) -> tuple[Path, Path]:
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    stem = result_stem(report)
    json_path = results_dir / f"{stem}.json"
    md_path = results_dir / f"{stem}.md"
    json_path.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n")
    md_path.write_text(to_markdown(report))
    return json_path, md_path


# --- Markdown -------------------------------------------------------------------------------
def _fmt_us(us: float | None) -> str:
    if us is None:
        return ""
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} µs"


def _ours_cell(mine: dict | None, error: str | None = None) -> str:
    if error:
        return f"not measured: {error}"
    if not mine:
        return "not measured"
    query = mine.get("query")
    url = mine["path"] + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    floor = "" if mine.get("x_bare_user") is None else f", {mine['x_bare_user']}×"
    return (
        f"`{url}` → {mine['status']}: {_fmt_us(mine['median_us'])}, {mine['x_bare']}×"
        f"{floor}, {mine['queries']} q"
    )


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join("" if c is None else str(c) for c in row) + " |" for row in rows]
    return lines


def to_markdown(report: dict) -> str:
    meta = report["meta"]
    m = meta["machine"]
    out = [
        f"# Benchmark — {meta['patients']:,} patients — {meta['date']}",
        "",
        f"- Commit `{meta['commit']}`{' (uncommitted changes)' if meta.get('dirty') else ''}",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; {m['os']}",
        f"- Load average (1, 5, 15 min) at start {m.get('load_average')}, at end "
        f"{m.get('load_average_at_end')} (a shared machine: other work competes for the cores)",
        f"- Python {m['python']}, Django {meta['django']}, PostgreSQL {meta['postgresql']}",
        f"- Settings: `{meta['settings']}` (DEBUG={meta['debug']}), in-process WSGI, HTTPS via "
        "`wsgi.url_scheme` + `X-Forwarded-Proto`, real sessions (2FA for staff/specialists)",
        f"- {meta['repetitions']} interleaved rounds after {meta['warmup']} warm-up calls; "
        "times are medians per request",
    ]
    seed = report.get("seed")
    if seed:
        sizes = ", ".join(f"{k} {v:,}" for k, v in seed["sizes"].items())
        out.append(
            f"- Data: seed {seed['seed']}, anchor {seed['anchor']}: {sizes}; "
            f"seeded in {seed['seconds']:.0f} s"
            + (f", peak memory {seed['peak_rss_mb']} MB" if "peak_rss_mb" in seed else "")
        )
    if report.get("pages"):
        out += _pages_markdown(report)
    else:
        out += ["", "## Pages", "", "Not measured in this run."]
    out += _rest_markdown(report)
    return "\n".join(out) + "\n"


def _pages_markdown(report: dict) -> list[str]:
    out = ["", "## Pages", ""]
    refs = report["references"]
    out.append(
        "Floors: bare `HttpResponse` view "
        + _fmt_us(refs["bare"]["median_us"])
        + "; logged-in bare view (reads `request.user`, full middleware): "
        + "; ".join(
            f"{k.split(':', 1)[1]} {_fmt_us(v['median_us'])} = {v['x_bare']}× "
            f"({v['queries']} queries)"
            for k, v in refs.items()
            if k.startswith("bare-user:")
        )
        + "."
    )
    out.append("")
    rows = []
    for p in report["pages"]:
        if not p["on_main"]:
            rows.append(
                [
                    p["name"],
                    p["role"],
                    p["method"],
                    "not yet on main",
                    "",
                    "",
                    "",
                    "",
                    p["budget"] if p["budget"] is not None else "—",
                    "",
                    "",
                ]
            )
            continue
        budget = "—" if p["budget"] is None else p["budget"]
        flags = []
        if p["over_budget"]:
            flags.append("**OVER BUDGET**")
        if p["over_goal"]:
            flags.append(f"over {p['goal']}× goal")
        spread = report.get("round_spread", {}).get(p["key"])
        rows.append(
            [
                p["name"],
                p["role"],
                p["method"],
                f"`{p['path']}` → {p['status']}",
                _fmt_us(p["median_us"]) + ("" if spread is None else f" ±{spread:.0%}"),
                f"{p['x_bare']}×",
                f"{p['x_bare_user']}×",
                p["queries"]
                if not p.get("transaction_control")
                else f"{p['queries']} ({p['transaction_control']} BEGIN/COMMIT)",
                f"{p['extra_queries']} / {budget}",
                f"{p['goal']}×" if p["goal"] else "—",
                " ".join(flags) or "ok",
            ]
        )
    out += _table(
        [
            "page",
            "role",
            "method",
            "URL → status",
            "median",
            "× bare",
            "× logged-in bare",
            "queries",
            "beyond session/user / budget",
            "goal",
            "check",
        ],
        rows,
    )
    out.append("")
    out.append(
        "Queries are counted exactly (CaptureQueriesContext), every statement sent; "
        '"beyond session/user" counts the statements that read or write data beyond those of '
        "the logged-in bare view of the same role (a POST's BEGIN and COMMIT are shown in the "
        "queries column, not counted against the budget). "
        "± is the spread of the per-round medians (coefficient of variation): on a busy "
        "shared machine a ratio moves that much between runs with no change to the code."
    )
    return out


def _reminders_markdown(r: dict) -> list[str]:
    out = ["", "## Reminders (real worker, real SMTP server)", "", r["setup"], ""]
    if r.get("seconds") is None:
        out += [f"**Not every message arrived**: {r['received']:,} of {r['reminders']:,}.", ""]
    rss = r.get("worker_rss") or {}
    once = "yes" if r["exactly_once"] else "**NO**"
    goal = "met" if r["meets_goal"] else "**missed**"
    out += _table(
        ["measure", "value"],
        [
            ["reminders dispatched and delivered", f"{r['reminders']:,} in {r['seconds']} s"],
            [
                "reminders/s (steady: 10th to 90th percentile of arrivals)",
                f"{r['per_second']} ({r.get('steady_per_second')}); first message after "
                f"{r.get('first_arrival_seconds')} s",
            ],
            [
                "send_mail/s (one connection per message; half before, half after)",
                f"{r['send_mail_per_second']} ({r['send_mail'].get('before_per_second')} "
                f"before, {r['send_mail'].get('after_per_second')} after)",
            ],
            [
                "ratio (goal ≥ {:.0%})".format(r["goal_ratio"]),
                f"{r['ratio']} ({goal})" if r["ratio"] is not None else "—",
            ],
            [
                "for reference: one connection for all, messages/s",
                r["single_connection"]["per_second"],
            ],
            ["dispatcher runs (beat, every minute)", r["dispatch"]["runs"]],
            [
                "dispatcher's last batch began after",
                f"{r['dispatch'].get('last_batch_after_seconds')} s",
            ],
            [
                "CPU per message: worker (all processes) / send_mail loop",
                f"{r.get('worker_cpu_ms_per_reminder')} ms / "
                f"{r['send_mail'].get('cpu_ms_per_message')} ms",
            ],
            [
                "received / unique Message-IDs / unique recipients",
                f"{r['received']:,} / {r['unique_message_ids']:,} / {r['unique_recipients']:,}",
            ],
            [
                "duplicates / lost / unexpected",
                f"{r['duplicates']} / {r['lost']} / {r['unexpected']}",
            ],
            ["exactly once", once],
            [
                "outbox rows by status (retried)",
                f"{r['outbox']['statuses']} ({r['outbox']['retried']})",
            ],
            [
                f"worker RSS, largest process: start / peak / end (goal < {GOAL_RSS} MB)",
                f"{rss.get('start_mb')} / {rss.get('peak_mb')} / {rss.get('end_mb')} MB"
                + ("" if rss.get("meets_goal") else " **over**"),
            ],
            [
                f"worker RSS, all {rss.get('processes')} processes: start / peak / end",
                f"{rss.get('total_start_mb')} / {rss.get('total_peak_mb')} / "
                f"{rss.get('total_end_mb')} MB",
            ],
        ],
    )
    return out


def _rest_markdown(report: dict) -> list[str]:
    out: list[str] = []
    engine = report.get("engine")
    if engine:
        out += ["", "## Rules engine", ""]
        out.append(
            f"{engine['profiles_per_second']:,} profiles/s on one core (goal "
            f"{engine['goal']:,}: {'met' if engine['meets_goal'] else '**missed**'}); "
            f"{engine['profiles']:,} generated valid profiles, median of "
            f"{engine['repetitions']} rounds, rules {engine['rules_version']}."
        )
    reminders = report.get("reminders")
    if reminders:
        out += _reminders_markdown(reminders)
    peer = report.get("peer")
    if peer:
        out += ["", "## Peer: django-appointment", ""]
        if peer.get("error"):
            out.append(f"Not measured: {peer['error']}")
        else:
            out.append(
                f"django-appointment {peer['version']} in its own virtualenv (Django "
                f"{peer['django']}), its own PostgreSQL database, same harness (in-process "
                "WSGI over HTTPS, medians, ratio to ITS OWN bare view). Data: " + peer["data"] + "."
            )
            out.append("")
            rows = []
            ours = peer.get("ours") or {}
            for size in peer["sizes"]:
                for row in size["rows"]:
                    mine = (ours.get(row["name"]) or {}).get(str(size["appointments"]))
                    rows.append(
                        [
                            row["name"],
                            f"{size['appointments']:,}",
                            row["how"],
                            _fmt_us(row["median_us"]),
                            f"{row['x_bare']}×",
                            "" if row.get("x_bare_user") is None else f"{row['x_bare_user']}×",
                            row["queries"],
                            _ours_cell(mine, ours.get("error")),
                        ]
                    )
            out += _table(
                [
                    "measure",
                    "appointments",
                    "peer: what was timed",
                    "peer median",
                    "peer × its bare",
                    "peer × its logged-in bare",
                    "peer queries",
                    "ours: page, median, × our bare, × logged-in bare, queries",
                ],
                rows,
            )
            notes = {
                m["name"]: m["note"]
                for sizes in ours.values()
                if isinstance(sizes, dict)
                for m in sizes.values()
                if m.get("note")
            }
            if notes:
                out.append("")
                out.append(
                    "Ours: the same harness on a clinic seeded in the peer's shape (3 "
                    "specialists, Mon-Fri 09:00-17:00, one 30-minute type, the same number of "
                    "appointments over a year around today; `bench.seed.peer_shape`), ratio "
                    "to OUR bare view in that run. "
                    + " ".join(f"{name}: {note}." for name, note in notes.items())
                )
            for size in peer["sizes"]:
                out.append("")
                out.append(
                    f"Peer floors at {size['appointments']:,}: bare "
                    f"{_fmt_us(size['bare_us'])}, logged-in bare "
                    f"{_fmt_us(size['bare_user_us'])}."
                )
    http = report.get("http")
    if http:
        out += ["", "## HTTP smoke (gunicorn + locust; capacity with wrk)", ""]
        if http.get("error"):
            out.append(f"Not measured: {http['error']}")
        else:
            out.append(http["setup"])
            out.append("")
            rows = []
            for run in http["pages"]:
                rows.append(
                    [
                        "**all pages**" if run["name"] == "Aggregated" else run["name"],
                        f"`{run['path']}`" if run.get("path") else "",
                        f"{run['requests_per_second']:,.1f}",
                        run["requests"],
                        f"{run['p50_ms']:.0f}",
                        f"{run['p95_ms']:.0f}",
                        f"{run['p99_ms']:.0f}",
                        f"{run['max_ms']:.0f}",
                        run["errors"],
                        "yes" if run["p95_ok"] else "**no**",
                    ]
                )
            out += _table(
                [
                    "page",
                    "URL",
                    "req/s",
                    "requests",
                    "p50 ms",
                    "p95 ms",
                    "p99 ms",
                    "max ms",
                    "errors",
                    "p95 < 300 ms",
                ],
                rows,
            )
            if http.get("failures", "").count("\n") > 1:
                out += ["", "Failures (locust):", "", "```", http["failures"].strip(), "```"]
            saturation = http.get("saturation")
            if saturation and not saturation.get("error"):
                out.append("")
                out.append(
                    f"Capacity: the same mix with no think time ({saturation['connections']} "
                    f"requests always in flight, {saturation['seconds']} s): "
                    f"{saturation['requests_per_second']:,.0f} requests/s, p50 "
                    f"{saturation['p50_ms']:.0f} ms, p95 {saturation['p95_ms']:.0f} ms, p99 "
                    f"{saturation['p99_ms']:.0f} ms, {saturation['errors']} errors. By Little's "
                    "law its latency is the queue (connections / throughput), so it measures "
                    "throughput; the p95 goal is for the users above."
                )
            login = http.get("login")
            if login:
                out.append("")
                out.append(
                    f"Login POST on its own ({login['logins']} logins, one at a time, each a "
                    f"GET of the form then the POST): p50 {login['p50_ms']:.0f} ms, p95 "
                    f"{login['p95_ms']:.0f} ms, errors {login['errors']}."
                )
    out += ["", "## Regressions against the previous run", ""]
    regressions = report.get("regressions")
    compared = [s for s in (report.get("previous"), report.get("previous_reminders")) if s]
    if not compared:
        out.append("No previous run of this size.")
    elif regressions:
        out += [f"- **{r}**" for r in regressions]
    else:
        out.append(
            f"None (compared with {' and '.join(dict.fromkeys(compared))}; threshold "
            f"{REGRESSION_THRESHOLD:.0%})."
        )
    return out
