"""bench.api at a tiny size, so that its code cannot rot: it builds its stories, times every sort and reports."""

import pytest

from bench import api


@pytest.mark.django_db
def test_the_api_bench_times_the_first_page_of_threads_in_every_sort():
    results = api.measure([12, 30], requests=2, warmup=0)
    assert set(results) == {"12", "30"}
    for figures in results.values():
        for sort in api.SORTS:
            assert figures[sort]["n"] == 2 and figures[sort]["p95_ms"] >= figures[sort]["median_ms"] > 0
            assert figures[sort]["threads"] >= 1 and figures[sort]["queries"] <= 5
    assert results["30"]["oldest"]["queries"] == results["12"]["oldest"]["queries"]
    text = api.report(results)
    assert "N=    30 liked" in text and "p95" in text
