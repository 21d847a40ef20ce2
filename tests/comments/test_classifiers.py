"""The shipped classifiers: the local one trained on the site's own decisions (train_classifier, replay_classifier),
and the HTTP one against a real moderation service on loopback that answers, fails and hangs."""

import io
import json
import logging
import random
import re
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from comments import classifiers, services
from comments.models import Comment, ModerationRule
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

SPAM_OPENINGS = ["Buy cheap", "Best price on", "Click here for", "Earn $500 a day with", "Free", "Limited offer:"]
SPAM_GOODS = ["pills", "watches", "crypto signals", "loans", "followers", "casino bonus"]
SPAM_CLOSINGS = ["Act now!", "100% guaranteed.", "No prescription needed.", "Only today!!!", "DM me."]
OPINIONS = ["I think", "My neighbour says", "I disagree that", "It seems to me", "Honestly,", "As a parent I feel"]
TOPICS = ["the new bridge", "the school budget", "the harbour works", "the election", "last week's flooding"]
TAKES = ["makes sense.", "needs more detail.", "was handled badly.", "is worth a debate.", "deserved this coverage."]


def spam(rng: random.Random) -> str:
    site = f"http://{rng.choice(['deals', 'promo', 'win'])}{rng.randint(1, 999)}.example/offer"
    return f"{rng.choice(SPAM_OPENINGS)} {rng.choice(SPAM_GOODS)} at {site} {rng.choice(SPAM_CLOSINGS)}"


def ordinary(rng: random.Random) -> str:
    return f"{rng.choice(OPINIONS)} {rng.choice(TOPICS)} {rng.choice(TAKES)} Thanks for the reporting."


def decisions(n: int, *, seed: int, days_ago: int) -> None:
    """n comments, half spam that a moderator removed and half ordinary ones left up, written `days_ago`."""
    rng = random.Random(seed)
    article = ArticleFactory()
    spammy = [CommentFactory(article=article, body=spam(rng)) for _ in range(n // 2)]
    for _ in range(n - n // 2):
        CommentFactory(article=article, body=ordinary(rng))
    services.comment_remove(comments=spammy, moderator=UserFactory(is_staff=True), reason="Spam")
    Comment.objects.filter(created_at__gte=timezone.now() - timedelta(minutes=5)).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )


@pytest.fixture(autouse=True)
def quiet_pipeline(settings):
    settings.COMMENTS_RATE_PER_MINUTE = 0
    ModerationRule.objects.all().delete()


@pytest.fixture
def model_file(settings, tmp_path):
    settings.COMMENTS_CLASSIFIER_MODEL = tmp_path / "model.joblib"
    return settings.COMMENTS_CLASSIFIER_MODEL


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def figures(output: str) -> dict[str, float]:
    return {name: float(value) for name, value in re.findall(r"(precision|recall): ([0-9.]+)", output)}


def test_the_local_classifier_learns_from_past_decisions_and_the_replay_measures_it_on_new_ones(
    model_file, record_property
):
    """200 decisions to learn from (a month old), 200 others to measure on (this week, other texts of both kinds)."""
    decisions(200, seed=1, days_ago=30)
    decisions(200, seed=2, days_ago=1)
    cut = (timezone.localdate() - timedelta(days=7)).isoformat()
    trained = run("train_classifier", "--before", cut)
    assert "Trained on 200 decisions: 100 removed, 100 left up." in trained and model_file.exists()

    replay = run(
        "replay_classifier", "--classifier", "comments.classifiers.local", "--since", cut, "--threshold", "0.5"
    )
    assert "Replayed 200 decisions" in replay and "removed by moderators: 100; left up: 100" in replay
    assert figures(replay)["precision"] >= 0.95 and figures(replay)["recall"] >= 0.95
    at_default = run("replay_classifier", "--classifier", "comments.classifiers.local", "--since", cut)
    assert figures(at_default)["precision"] >= 0.95
    scored = figures(at_default)
    record_property(
        "figures",
        f"local classifier on 200 unseen decisions at 0.8: precision {scored['precision']:.3f}, "
        f"recall {scored['recall']:.3f} (at 0.5: {figures(replay)['precision']:.3f} / {figures(replay)['recall']:.3f})",
    )


def test_posting_with_the_local_classifier_holds_spam_and_lets_ordinary_comments_up(settings, model_file):
    decisions(200, seed=1, days_ago=30)
    run("train_classifier")
    settings.COMMENTS_CLASSIFIER = "comments.classifiers.local"
    settings.COMMENTS_CLASSIFIER_HOLD = 0.5
    rng = random.Random(3)
    assert CommentFactory(body=spam(rng)).status == Comment.Status.PENDING
    assert CommentFactory(body=ordinary(rng)).status == Comment.Status.VISIBLE


def test_training_refuses_too_few_decisions_and_a_missing_model_never_blocks_posting(settings, model_file, caplog):
    decisions(8, seed=1, days_ago=1)
    with pytest.raises(CommandError, match="Too few decisions"):
        run("train_classifier")
    settings.COMMENTS_CLASSIFIER = "comments.classifiers.local"
    with caplog.at_level(logging.ERROR, logger="comments.classifiers"):
        assert CommentFactory(body="Hello").status == Comment.Status.VISIBLE
    assert "train_classifier" in caplog.text


def test_the_replay_needs_a_classifier_and_counts_one_that_fails(settings):
    decisions(4, seed=1, days_ago=1)
    with pytest.raises(CommandError, match="No classifier"):
        run("replay_classifier")
    output = run("replay_classifier", "--classifier", "tests.comments.test_rules.breaks")
    assert "not scored (the classifier failed): 4" in output and "precision: n/a" in output


# ------------------------------------------------------------------------------
# The HTTP classifier against a moderation service on loopback
# ------------------------------------------------------------------------------


class ModerationService(BaseHTTPRequestHandler):
    """/score answers {"score": 0.9}, /broken a 500, /slow nothing for two seconds, /junk not JSON."""

    received: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append((self.path, self.headers["Content-Type"], body))
        if self.path == "/slow":
            time.sleep(2)
        status, answer = {"/broken": (500, b"oops"), "/junk": (200, b"<html>")}.get(self.path, (200, b'{"score": 0.9}'))
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(answer)
        except OSError:
            pass  # the client gave up waiting (the timeout test)

    def log_message(self, *args):
        pass


@pytest.fixture
def service():
    ModerationService.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ModerationService)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_http_classifier_posts_the_text_and_reads_the_score(settings, service):
    settings.COMMENTS_CLASSIFIER_URL = f"{service}/score"
    author, article = UserFactory(), ArticleFactory()
    assert classifiers.http("Is this fine?", author=author, article=article) == 0.9
    assert ModerationService.received == [
        ("/score", "application/json", {"text": "Is this fine?", "story": article.pk, "author": author.pk})
    ]
    settings.COMMENTS_CLASSIFIER = "comments.classifiers.http"
    settings.COMMENTS_CLASSIFIER_HOLD = 0.8
    assert CommentFactory(body="Held by the service").status == Comment.Status.PENDING


@pytest.mark.parametrize("path", ["/broken", "/slow", "/junk"])
def test_a_service_that_fails_or_hangs_never_blocks_posting(settings, service, caplog, path):
    settings.COMMENTS_CLASSIFIER = "comments.classifiers.http"
    settings.COMMENTS_CLASSIFIER_URL = f"{service}{path}"
    settings.COMMENTS_CLASSIFIER_TIMEOUT = 0.3
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="comments.classifiers"):
        comment = CommentFactory(body="Posted whatever the service does")
    assert comment.status == Comment.Status.VISIBLE
    assert time.monotonic() - started < 1.5
    assert "The comment classifier failed" in caplog.text
