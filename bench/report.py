"""Merge the bench results into one JSON, print the tables and issue 13's targets, draw the chart.

python -m bench.report [--results bench/results]: reads ours-sqlite.json, ours-postgres.json and, when present,
peer.json and load.json; writes latest.json, latest.md and chart.png (when matplotlib is installed).
"""

import argparse
import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
# Issue 13's targets: the default story page's queries (signed out, signed in) at any N, its uncached time at the
# largest N against the smallest, and the story lock held by a post on a 50,000-comment story against a 10-comment one.
# The story (3), one query per kind of body block (8, articles.body), the discussion (2); signed in, 3 more.
# One more than issue 13 measured (13, 16): the "newsroom replied" summary (issue 19) is one query a page.
QUERY_BUDGET = {"anon": 14, "signed": 17}
GROWTH = 1.5
LOCK_RATIO = 1.2
WHO = {"anon": "signed out", "signed": "signed in"}


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


def db_name(db: str) -> str:
    return "SQLite" if db == "sqlite" else "PostgreSQL"


def _ends(sizes: dict) -> tuple[str, str]:
    """The smallest and the largest N measured."""
    return min(sizes, key=int), max(sizes, key=int)


def _growth_pair(result: dict, who: str) -> tuple[dict, dict]:
    """The uncached story page at the largest and the smallest N."""
    small, large = _ends(result["sizes"])
    return result["sizes"][large][f"story_{who}_uncached"], result["sizes"][small][f"story_{who}_uncached"]


def _page_rows(sizes: dict, page: str) -> list[str]:
    rows = []
    for n, s in sizes.items():
        out, signed = s[f"{page}_anon_uncached"], s[f"{page}_signed_uncached"]
        rows.append(
            f"| {int(n):,} | {out['comments_shown']:,} | {ms(out)} ({ms(out, 'p90_ms')}) | "
            f"{ms(s[f'{page}_anon_cached'])} | {ms(signed)} ({ms(signed, 'p90_ms')}) | "
            f"{out['queries']} / {signed['queries']} ({s[f'{page}_anon_cached']['queries']} / "
            f"{s[f'{page}_signed_cached']['queries']}) | {kb(out['bytes'])} ({kb(out['gzip_bytes'])}) | "
            f"{out['peak_mb']:.1f} / {signed['peak_mb']:.1f} MB |"
        )
    return rows


PAGE_HEAD = [
    "| N | comments shown | signed out, uncached (p90) | signed out, cached | signed in (p90) | "
    "queries: out / in (cached) | size (gzip) | peak memory: out / in |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
]


def tables(ours: dict[str, dict], peer: dict | None, load: dict | None) -> list[str]:
    lines: list[str] = []
    for db, result in ours.items():
        sizes = result["sizes"]
        xtd = (peer or {}).get("databases", {}).get(db, {}).get("sizes", {})
        small, large = _ends(sizes)
        lines += [
            f"#### {db_name(db)}",
            "",
            "Default story page (10 threads, each cut after 5 replies; each page timed at every N in turn; "
            "uncached = COMMENTS_CACHE_SECONDS=0, every request reads and renders its threads; cached = the page of "
            "threads from the fragment cache, which only signed-out readers share; peak memory: Python "
            "allocations of one request, tracemalloc):",
            "",
            *PAGE_HEAD,
            *_page_rows(sizes, "story"),
            "",
            f"N={int(large):,} ÷ N={int(small):,}: uncached, signed out {ratio(*_growth_pair(result, 'anon'))}, "
            f"signed in {ratio(*_growth_pair(result, 'signed'))}; cached, signed out "
            f"{ratio(sizes[large]['story_anon_cached'], sizes[small]['story_anon_cached'])}.",
            "",
            '"All comments", first page (whole threads, up to COMMENTS_ALL_PER_PAGE comments a page):',
            "",
            *PAGE_HEAD,
            *_page_rows(sizes, "all"),
            "",
        ]
        threads = result.get("thread", {})
        if threads:
            lines += [
                "Thread page (never fragment-cached; indented to 6 levels, deeper replies on their own thread page):",
                "",
                "| thread | replies | comments shown | signed out (p90) | signed in (p90) | queries: out / in | "
                "size (gzip) | peak memory: out / in |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            ]
            for name in dict.fromkeys(key.rsplit("_", 1)[0] for key in threads):
                out, signed = threads[f"{name}_anon"], threads[f"{name}_signed"]
                lines.append(
                    f"| {name.replace('_', ' ')} | {out['replies']:,} | {out['comments_shown']:,} | "
                    f"{ms(out)} ({ms(out, 'p90_ms')}) | {ms(signed)} ({ms(signed, 'p90_ms')}) | "
                    f"{out['queries']} / {signed['queries']} | {kb(out['bytes'])} ({kb(out['gzip_bytes'])}) | "
                    f"{out['peak_mb']:.1f} / {signed['peak_mb']:.1f} MB |"
                )
            lines.append("")
        if xtd:
            lines += [
                "django-comments-xtd's story page, which always shows the whole tree, against ours (signed-out "
                "reader, uncached):",
                "",
                "| N | xtd, registered commenters (queries) | xtd, anonymous commenters | size | ours: story page | "
                "ours: All comments, first page | xtd anon. ÷ our story page |",
                "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            ]
            for n, s in sizes.items():
                x = xtd.get(n, {})
                reg, anon = x.get("registered"), x.get("anonymous")
                reg_queries = f" ({reg['queries']:,})" if reg else ""
                lines.append(
                    f"| {int(n):,} | {ms(reg)}{reg_queries} | {ms(anon)} | "
                    f"{kb(reg['bytes']) if reg else '–'} | {ms(s['story_anon_uncached'])} | "
                    f"{ms(s['all_anon_uncached'])} | {ratio(anon, s['story_anon_uncached'])} |"
                )
            lines.append("")
        shared = result.get("shared_cache", {})
        if shared:
            lines += [
                f"Shared-cache check of the story page at N={int(large):,} (two signed-out readers, each without "
                "cookies):",
                "",
                "| fragment cache | Set-Cookie | same bytes for both | Cache-Control | Surrogate-Key | Vary |",
                "| --- | --- | --- | --- | --- | --- |",
            ]
            for name, check in shared.items():
                lines.append(
                    f"| {name.removeprefix('story_')} | {', '.join(check['set_cookie']) or 'none'} | "
                    f"{'yes' if check['identical_bodies'] else 'no'} | `{check['cache_control']}` | "
                    f"`{check['surrogate_key']}` | `{check['vary']}` |"
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
            "Posting through the real view (median, queries; ours until the redirect to the new comment):",
            "",
            "| case | ours, SQLite | xtd, SQLite | ours, PostgreSQL | xtd, PostgreSQL |",
            "| --- | ---: | ---: | ---: | ---: |",
            *posting_rows,
            "",
        ]
    held = ours.get("postgres", {}).get("lock_hold")
    if held:
        small, large = held["comments"]["small"], held["comments"]["large"]
        lines += [
            "The story lock (its comments_discussion row, FOR UPDATE) held by a post, from the lock to the commit "
            "(PostgreSQL; median, p90):",
            "",
            f"| post | {small:,}-comment story | {large:,}-comment story | ratio |",
            "| --- | ---: | ---: | ---: |",
        ]
        for kind in ("top_level", "reply"):
            h = held[kind]
            lines.append(
                f"| {kind.replace('_', '-')} | {ms(h['small'])} ({ms(h['small'], 'p90_ms')}) | "
                f"{ms(h['large'])} ({ms(h['large'], 'p90_ms')}) | {h['ratio']:.2f}x |"
            )
        lines.append("")
    if load:
        lines += [
            f"Load: gunicorn ({load.get('config', 'sync')}), {load['workers']} workers, wrk {load['threads']} "
            f"threads / {load['connections']} connections for {load['duration']} per run, default page of the "
            f"{load['comments']:,}-comment story ({load['database']}, Redis cache; measured {load['date']}):",
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


def targets(ours: dict[str, dict]) -> list[tuple[bool, str]]:
    """Issue 13's targets, each with whether it is met and the figure."""
    checks: list[tuple[bool, str]] = []
    for db, result in ours.items():
        sizes = result["sizes"]
        small, large = _ends(sizes)
        for who, budget in QUERY_BUDGET.items():
            counts = [
                s[f"story_{who}_{cached}"]["queries"] for s in sizes.values() for cached in ("uncached", "cached")
            ]
            uncached = sorted({s[f"story_{who}_uncached"]["queries"] for s in sizes.values()})
            checks.append(
                (
                    len(uncached) == 1 and max(counts) <= budget,
                    f"[{db}] story page queries, {WHO[who]}, at every N: {' / '.join(map(str, uncached))} uncached, "
                    f"{max(counts)} at most with the cache (budget {budget})",
                )
            )
        for who in QUERY_BUDGET:
            big, little = _growth_pair(result, who)
            growth = big["median_ms"] / little["median_ms"]
            # A small story's page holds fewer comments (its threads are short): the time per comment shown says
            # how much of the growth is the page's size rather than N.
            shown = growth * little["comments_shown"] / big["comments_shown"]
            checks.append(
                (
                    growth <= GROWTH,
                    f"[{db}] story page, {WHO[who]}, uncached, N={int(large):,} ÷ N={int(small):,}: {growth:.2f}x "
                    f"({ms(big)} against {ms(little)}; within {GROWTH}x); per comment shown "
                    f"({big['comments_shown']} against {little['comments_shown']}): {shown:.2f}x",
                )
            )
        shared = result.get("shared_cache", {}).values()
        if shared:
            cookies = sorted({name for check in shared for name in check["set_cookie"]})
            checks += [
                (
                    not cookies,
                    f"[{db}] the signed-out story page sets no cookie" + (f": {', '.join(cookies)}" * bool(cookies)),
                ),
                (
                    all(check["identical_bodies"] for check in shared),
                    f"[{db}] two signed-out readers get identical bodies (rendered, and from the fragment cache)",
                ),
                (
                    all(check["public_s_maxage"] for check in shared),
                    f"[{db}] Cache-Control for shared caches: `{next(iter(shared))['cache_control']}`",
                ),
                (
                    all(check["surrogate_key"] for check in shared),
                    f"[{db}] Surrogate-Key: `{next(iter(shared))['surrogate_key']}`",
                ),
            ]
        else:
            checks.append((False, f"[{db}] shared-cache check: not measured"))
    held = ours.get("postgres", {}).get("lock_hold")
    if held:
        small, large = held["comments"]["small"], held["comments"]["large"]
        for kind in ("top_level", "reply"):
            h = held[kind]
            checks.append(
                (
                    h["ratio"] <= LOCK_RATIO,
                    f"[postgres] story lock held by a {kind.replace('_', '-')} post, N={large:,} ÷ N={small:,}: "
                    f"{h['ratio']:.2f}x ({ms(h['large'])} against {ms(h['small'])}; within {LOCK_RATIO}x)",
                )
            )
    else:
        checks.append((False, "[postgres] story lock held by a post: not measured (PostgreSQL only)"))
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
        ("xtd story page (whole tree), registered commenters", "C3", lambda s, x: x.get("registered")),
        ("xtd story page (whole tree), anonymous commenters", "C1", lambda s, x: x.get("anonymous")),
        ("ours: All comments, first page, uncached", "C0", lambda s, x: s["all_anon_uncached"]),
        ("ours: story page, signed in", "C4", lambda s, x: s["story_signed_uncached"]),
        ("ours: story page, signed out, uncached", "C2", lambda s, x: s["story_anon_uncached"]),
        ("ours: story page, signed out, cached", "C9", lambda s, x: s["story_anon_cached"]),
    ]
    for db, result in ours.items():
        xtd = (peer or {}).get("databases", {}).get(db, {}).get("sizes", {})
        for label, color, pick in series:
            points = [(int(n), pick(s, xtd.get(n, {}))) for n, s in result["sizes"].items()]
            points = [(n, e["median_ms"]) for n, e in points if e]
            if points:
                name = f"{label} ({db_name(db)})"
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
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
    checks = targets(ours)
    body = head + tables(ours, peer, load) + ["Targets (issue 13):", ""]
    body += [f"- {'met' if ok else '**missed**'}: {text}" for ok, text in checks]
    (folder / "latest.md").write_text("\n".join(body) + "\n")
    (folder / "latest.json").write_text(json.dumps({"ours": ours, "peer": peer, "load": load}, indent=2) + "\n")
    drawn = chart(ours, peer, folder / "chart.png")
    sys.stdout.write("\n".join(body) + "\n")
    sys.stdout.write(f"\nWrote {folder / 'latest.md'}, {folder / 'latest.json'}")
    sys.stdout.write(f", {folder / 'chart.png'}\n" if drawn else " (no chart: matplotlib is not installed here)\n")


if __name__ == "__main__":
    main()
