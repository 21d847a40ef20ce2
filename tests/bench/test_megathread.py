"""bench.megathread at a tiny size: its flat threads are sound, each reply lands under the first child, and the cap
is where the fitted line crosses 3x the smallest thread's reply."""

import pytest

from bench import data, megathread
from comments.models import Comment
from tests.comments.conftest import assert_trees_sound


@pytest.mark.django_db
def test_flat_threads_are_sound_and_the_replies_land_under_the_first_child():
    users = data.commenters()
    threads = {size: megathread.flat_thread(size, users=users, slug=f"mega-{size}") for size in (3, 12)}
    assert_trees_sound()
    figures = megathread.measure(threads, users, rounds=2, warmup=1)
    assert set(figures) == {3, 12} and all(f["n"] == 2 for f in figures.values())
    for size, (story, first) in threads.items():
        assert Comment.objects.filter(article=story).count() == size + 1 + 3
        assert Comment.objects.filter(parent=first).count() == 3
    assert_trees_sound()


def test_the_cap_is_where_the_line_reaches_three_times_the_small_thread():
    # 30 ms + 50 ms per 1,000 rows: 3 x 30.5 = 91.5 ms at 1,230 rows, rounded down to 1,000.
    figures = {n: {"median_ms": 30 + 0.05 * n} for n in (10, 1_000, 5_000, 10_000, 20_000)}
    cap = megathread.choose_cap(figures)
    assert cap["ms_per_1000_rows"] == 50.0
    assert cap["reach"] == 1230
    assert cap["cap"] == 1000
    # A flatter line allows a larger thread.
    assert megathread.choose_cap({n: {"median_ms": 30 + 0.005 * n} for n in (10, 20_000)})["cap"] == 12_000
