"""`make bench` at a tiny size, so that its code cannot rot: every measurement runs and the report reads it."""

import json

import pytest
from django.db import connection

from articles.models import BODY_BLOCKS
from bench import report, run


@pytest.mark.django_db(transaction=True)  # the lock hold is timed until the commit's on_commit callbacks
def test_the_bench_runs_at_a_tiny_size_and_reports_issue_13s_targets(tmp_path, settings, capsys):
    settings.COMMENTS_CACHE_SECONDS = 60  # the bench turns the fragment cache off and on; the fixture restores it
    kind = "postgres" if connection.vendor == "postgresql" else "sqlite"
    results = run.run(kind, [12, 30], requests=1, warmup=0, thread_replies=8, posts=1, lock_sizes=(5, 20), lock_posts=1)
    results.update(
        database=kind, date="today", machine="here", python="3", django="5", requests=1, warmup=0, project="newsroom"
    )

    small, large = results["sizes"]["12"], results["sizes"]["30"]
    # The story's own 3, one per kind of body block, the discussion's 3 (with the newsroom-replies summary);
    # a signed-in reader's 3 more.
    blocks = len(BODY_BLOCKS)
    assert [large[f"story_{who}_uncached"]["queries"] for who in ("anon", "signed")] == [6 + blocks, 9 + blocks]
    assert large["story_anon_cached"]["thread_reads"] == 0 and large["story_anon_uncached"]["thread_reads"] == 1
    assert small["all_anon_uncached"]["comments_shown"] == 12 and large["all_anon_uncached"]["comments_shown"] == 30
    assert large["story_anon_uncached"]["n"] == small["story_signed_cached"]["n"] == 1
    assert results["thread"]["thread_of_8_anon"]["replies"] == 8
    if kind == "postgres":
        held = results["lock_hold"]
        assert held["comments"] == {"small": 5, "large": 20}
        assert held["top_level"]["large"]["n"] == held["reply"]["small"]["n"] == 1

    (tmp_path / f"ours-{kind}.json").write_text(json.dumps(results))
    report.main(["--results", str(tmp_path)])
    latest = (tmp_path / "latest.md").read_text()
    assert capsys.readouterr().out.startswith(latest)  # printed as written
    assert "Targets (issue 13):" in latest
    for line in (
        f"- met: [{kind}] story page queries, signed out, at every N: {6 + blocks} uncached",
        f"- met: [{kind}] story page queries, signed in, at every N: {9 + blocks} uncached",
        f"- met: [{kind}] the signed-out story page sets no cookie",
        f"- met: [{kind}] two signed-out readers get identical bodies",
        f"- met: [{kind}] Cache-Control for shared caches: `public, max-age=0, s-maxage=",
        f"- met: [{kind}] Surrogate-Key: `story-",
        f"[{kind}] story page, signed out, uncached, N=30 ÷ N=12: ",
    ):
        assert line in latest, line
    if kind == "postgres":
        assert "[postgres] story lock held by a top-level post, N=20 ÷ N=5: " in latest
    else:
        assert "- **missed**: [postgres] story lock held by a post: not measured (PostgreSQL only)" in latest
