"""Merge the bench results into one JSON, print the tables and the issue-6 targets, draw the chart.

python -m bench.report [--results bench/results]: reads ours-sqlite.json, ours-postgres.json and, when present,
peer.json and load.json; writes latest.json, latest.md and chart.png (when matplotlib is installed).
"""

import argparse
import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _read(folder: Path, name: str) -> dict | None:
    path = folder / name
    return json.loads(path.read_text()) if path.exists() else None


def ms(entry: dict | None, key: str = "median_ms") -> str:
    if not entry:
        return "–"
    value = entry[key]
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def kb(size: int | None) -> str:
    if size is None:
        return "–"
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{size / 1000:.0f} KB"


def ratio(a: dict | None, b: dict | None) -> str:
    if not a or not b:
        return "–"
    return f"{a['median_ms'] / b['median_ms']:.1f}x"


def tables(ours: dict[str, dict], peer: dict | None, load: dict | None) -> list[str]:
    lines: list[str] = []
    for db, result in ours.items():
        sizes = result["sizes"]
        xtd = (peer or {}).get("databases", {}).get(db, {}).get("sizes", {})
        lines += [
            f"#### {'SQLite' if db == 'sqlite' else 'PostgreSQL'}",
            "",
            "Story page as a reader first sees it (median; uncached = discussion cache off):",
            "",
            "| N | anonymous, uncached | anonymous, cached | signed in, uncached | signed in, cached | queries "
            "(anon / signed in) | size (gzip) |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for n, s in sizes.items():
            lines.append(
                f"| {int(n):,} | {ms(s['story_anon_uncached'])} | {ms(s['story_anon_cached'])} | "
                f"{ms(s['story_signed_uncached'])} | {ms(s['story_signed_cached'])} | "
                f"{s['story_anon_uncached']['queries']} / {s['story_signed_uncached']['queries']} | "
                f"{kb(s['story_anon_uncached']['bytes'])} ({kb(s['story_anon_uncached']['gzip_bytes'])}) |"
            )
        lines += [
            "",
            "Whole discussion on one page (ours: /comments/story/<id>/all/, anonymous reader; xtd: its story page, "
            "which always shows the whole tree; the floor: one SQL query and escaped nested HTML built in plain "
            "Python, served as a page through the same middleware, ratios are to it):",
            "",
            "| N | ours, uncached (p90) | ours, cached | ours with the Django template loop, uncached | "
            "floor: page (bare function) | "
            "ours ÷ floor | xtd, registered commenters (queries) | xtd, anonymous commenters | xtd reg. ÷ ours | "
            "xtd anon. ÷ ours | size: ours / xtd |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for n, s in sizes.items():
            x = xtd.get(n, {})
            reg, anon = x.get("registered"), x.get("anonymous")
            whole, template = s["all_anon_uncached"], s.get("all_anon_uncached_template")
            reg_queries = f" ({reg['queries']:,})" if reg else ""
            lines.append(
                f"| {int(n):,} | {ms(whole)} ({ms(whole, 'p90_ms')}) | {ms(s['all_anon_cached'])} | "
                f"{ms(template)} ({ratio(template, s['floor'])} floor) | {ms(s['floor'])} "
                f"({ms(s.get('floor_function'))}) | "
                f"{ratio(whole, s['floor'])} | "
                f"{ms(reg)}{reg_queries} | {ms(anon)} | {ratio(reg, whole)} | "
                f"{ratio(anon, whole)} | {kb(whole['bytes'])} / {kb(reg['bytes']) if reg else '–'} |"
            )
        lines.append("")
    posting_rows = []
    cases = sorted({case for r in ours.values() for case in r.get("posting", {})})
    for case in cases:
        cells = []
        for db in ("sqlite", "postgres"):
            mine = ours.get(db, {}).get("posting", {}).get(case)
            theirs = (peer or {}).get("databases", {}).get(db, {}).get("posting", {}).get(case)
            cells.append(f"{ms(mine)}, {mine['queries']} q" if mine else "–")
            cells.append(f"{ms(theirs)}, {theirs['queries']} q" if theirs else "–")
        posting_rows.append(f"| {case.replace('_', ' ')} | " + " | ".join(cells) + " |")
    if posting_rows:
        lines += [
            "Posting through the real view (median, queries):",
            "",
            "| case | ours, SQLite | xtd, SQLite | ours, PostgreSQL | xtd, PostgreSQL |",
            "| --- | ---: | ---: | ---: | ---: |",
            *posting_rows,
            "",
        ]
    if load:
        lines += [
            f"Load: gunicorn, {load['workers']} sync workers, wrk {load['threads']} threads / {load['connections']} "
            f"connections for {load['duration']} per run, default page of the {load['comments']:,}-comment story "
            f"({load['database']}, Redis cache):",
            "",
            "| run | requests/s | p50 | p95 | errors | one request at a time (median) |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, run in load["runs"].items():
            lines.append(
                f"| {name} | {run['rps']:.0f} | {run['p50_ms']:.1f} ms | {run['p95_ms']:.1f} ms | {run['errors']} | "
                f"{run.get('one_at_a_time_ms', 0):.1f} ms |"
            )
        lines.append("")
    return lines


def targets(ours: dict[str, dict], peer: dict | None, load: dict | None) -> list[tuple[bool, str]]:
    """The issue's targets, each with whether it is met and the figure."""
    checks: list[tuple[bool, str]] = []
    for db, result in ours.items():
        sizes = result["sizes"]
        small, large = sizes[min(sizes, key=int)], sizes[max(sizes, key=int)]
        mid = sizes.get("1000")
        anon_q = max(s["story_anon_uncached"]["queries"] for s in sizes.values())
        signed_q = max(s["story_signed_uncached"]["queries"] for s in sizes.values())
        checks.append(
            (anon_q <= 6 and signed_q <= 9, f"[{db}] story page queries: {anon_q} anonymous, {signed_q} signed in")
        )
        for who in ("anon", "signed"):
            big, little = large[f"story_{who}_uncached"], small[f"story_{who}_uncached"]
            growth = big["median_ms"] / little["median_ms"]
            checks.append((growth <= 1.5, f"[{db}] story page ({who}) N=10,000 ÷ N=100, uncached: {growth:.2f}x"))
            checks.append((big["median_ms"] < 50, f"[{db}] story page ({who}) at N=10,000, uncached: {ms(big)}"))
        checks.append(
            (
                large["story_anon_uncached"]["bytes"] < 300_000,
                f"[{db}] story page at N=10,000: {kb(large['story_anon_uncached']['bytes'])}",
            )
        )
        for who in ("anon", "signed"):
            cached = max(s[f"story_{who}_cached"]["median_ms"] for s in sizes.values())
            checks.append((cached < 5, f"[{db}] cached story page ({who}), slowest N: {cached:.1f} ms"))
        if mid:
            checks.append(
                (
                    mid["all_anon_uncached"]["median_ms"] < 100,
                    f"[{db}] whole discussion N=1,000 uncached: {ms(mid['all_anon_uncached'])}",
                )
            )
        checks.append(
            (
                large["all_anon_uncached"]["median_ms"] < 1000,
                f"[{db}] whole discussion N=10,000 uncached: {ms(large['all_anon_uncached'])}",
            )
        )
        for n, s in sizes.items():
            r = s["all_anon_uncached"]["median_ms"] / s["floor"]["median_ms"]
            checks.append((r <= 5, f"[{db}] whole discussion N={int(n):,} ÷ floor, uncached: {r:.1f}x"))
            x = (peer or {}).get("databases", {}).get(db, {}).get("sizes", {}).get(n)
            if x:
                mine = s["all_anon_uncached"]["median_ms"]
                for who, wanted in (("anonymous", 10), ("registered", 35)):
                    times = x[who]["median_ms"] / mine
                    checks.append((times >= wanted, f"[{db}] N={int(n):,} xtd ({who} commenters) ÷ ours: {times:.1f}x"))
        if db == "postgres":
            for case, p in result.get("posting", {}).items():
                if case.startswith("reply"):
                    checks.append(
                        (
                            p["median_ms"] < 50 and p["queries"] <= 12,
                            f"[postgres] posting {case.replace('_', ' ')}: {ms(p)}, {p['queries']} queries",
                        )
                    )
        held = result.get("lock_hold")
        if held:
            checks.append(
                (
                    held["ratio"] <= 1.2,
                    f"[{db}] story lock held by a post, N=50,000 ÷ N=10: {held['ratio']:.2f}x "
                    f"({ms(held['N50000'])} against {ms(held['N10'])})",
                )
            )
        rss = result.get("peak_rss_mb_whole_discussion", {})
        for n, mb in rss.items():
            checks.append((mb < 200, f"[{db}] peak RSS rendering the whole discussion at N={int(n):,}: {mb:.0f} MB"))
    if load:
        runs = load["runs"]
        for name, floor_rps in (("uncached", 150), ("cached", 500)):
            run = runs.get(name)
            if run:
                ok = run["rps"] >= floor_rps and run["p95_ms"] < 100 and run["errors"] == 0
                checks.append(
                    (ok, f"load {name}: {run['rps']:.0f} req/s, p95 {run['p95_ms']:.1f} ms, {run['errors']} errors")
                )
    return checks


def chart(ours: dict[str, dict], peer: dict | None, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(8, 6.4), dpi=80)
    styles = {"sqlite": "-", "postgres": "--"}
    series = [
        ("xtd, registered commenters", "C3", lambda s, x: x.get("registered")),
        ("xtd, anonymous commenters", "C1", lambda s, x: x.get("anonymous")),
        ("ours: whole discussion, uncached", "C0", lambda s, x: s["all_anon_uncached"]),
        ("ours: story page, uncached", "C2", lambda s, x: s["story_anon_uncached"]),
        ("plain-Python floor (whole discussion, as a page)", "C7", lambda s, x: s["floor"]),
        ("ours: story page, cached", "C9", lambda s, x: s["story_anon_cached"]),
        ("ours: whole discussion, Django template loop", "C4", lambda s, x: s.get("all_anon_uncached_template")),
    ]
    for db, result in ours.items():
        xtd = (peer or {}).get("databases", {}).get(db, {}).get("sizes", {})
        for label, color, pick in series:
            points = [(int(n), pick(s, xtd.get(n, {}))) for n, s in result["sizes"].items()]
            points = [(n, e["median_ms"]) for n, e in points if e]
            if points:
                name = f"{label} ({'SQLite' if db == 'sqlite' else 'PostgreSQL'})"
                ax.plot(*zip(*points, strict=True), styles[db], color=color, marker="o", markersize=3, label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("comments on the story (N)")
    ax.set_ylabel("server time per request, median (ms)")
    first = next(iter(ours.values()))
    ax.set_title(f"Discussion pages, in-process, DEBUG off — {first['date']}, {first['machine']}", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    fig.legend(*ax.get_legend_handles_labels(), fontsize=7, loc="lower center", ncol=2, frameon=False)
    fig.subplots_adjust(left=0.1, right=0.97, top=0.94, bottom=0.32)
    fig.savefig(path, pil_kwargs={"optimize": True})
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    folder = args.results
    ours = {db: r for db in ("sqlite", "postgres") if (r := _read(folder, f"ours-{db}.json"))}
    if not ours:
        sys.exit("No results yet: run `make bench`.")
    peer, load = _read(folder, "peer.json"), _read(folder, "load.json")
    first = next(iter(ours.values()))
    head = [
        f"Measured {first['date']} on {first['machine']}; Python {first['python']}, Django {first['django']}"
        + (f", django-comments-xtd {peer['xtd']}" if peer else "")
        + f"; {first['requests']} requests after {first['warmup']} warm-up per figure (xtd: fewer when a request takes "
        "seconds).",
        "",
    ]
    checks = targets(ours, peer, load)
    body = head + tables(ours, peer, load) + ["Targets (issue 6):", ""]
    body += [f"- {'met' if ok else '**missed**'}: {text}" for ok, text in checks]
    (folder / "latest.md").write_text("\n".join(body) + "\n")
    (folder / "latest.json").write_text(json.dumps({"ours": ours, "peer": peer, "load": load}, indent=2) + "\n")
    drawn = chart(ours, peer, folder / "chart.png")
    sys.stdout.write("\n".join(body) + "\n")
    sys.stdout.write(f"\nWrote {folder / 'latest.md'}, {folder / 'latest.json'}")
    sys.stdout.write(f", {folder / 'chart.png'}\n" if drawn else " (no chart: matplotlib is not installed here)\n")


if __name__ == "__main__":
    main()
