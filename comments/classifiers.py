"""The pipeline's optional last step: a classifier scores a comment from 0 (fine) to 1 (for a moderator).

A classifier is any callable `(comment_text, *, author, article) -> float`, named by its dotted path in
COMMENTS_CLASSIFIER (empty: none). Two ship here, neither tied to a vendor:

- `local`: a model trained on this site's own past decisions (`manage.py train_classifier`), TF-IDF words and
  character n-grams into a logistic regression (scikit-learn); it needs no network and scores in well under a
  millisecond;
- `http`: POSTs the text to a moderation service the newsroom runs (COMMENTS_CLASSIFIER_URL), which answers
  {"score": 0.93}, within COMMENTS_CLASSIFIER_TIMEOUT seconds.

A classifier that raises, times out or answers nonsense never blocks a post: `score` logs it and says None.
"""

import json
import logging
import os
import threading
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

__all__ = ["score", "name", "load", "local", "http", "train", "save_model", "ClassifierError"]

logger = logging.getLogger(__name__)

Classifier = Callable[..., float]


class ClassifierError(Exception):
    """A classifier could not score: no model file, a service that failed or answered nonsense."""


def load(path: str | None = None) -> Classifier | None:
    """The classifier at the dotted `path` (default COMMENTS_CLASSIFIER), or None when none is set."""
    path = settings.COMMENTS_CLASSIFIER if path is None else path
    return import_string(path) if path else None


def name() -> str:
    """The configured classifier's name for the audit log: the last part of its dotted path."""
    return settings.COMMENTS_CLASSIFIER.rsplit(".", 1)[-1]


def score(comment_text: str, *, author, article, classifier: Classifier | None = None) -> float | None:
    """The classifier's score for a comment, or None: no classifier, or it failed (logged, never raised)."""
    try:
        classifier = classifier or load()
        if classifier is None:
            return None
        value = float(classifier(comment_text, author=author, article=article))
    except Exception:
        logger.exception("The comment classifier failed; the comment takes the rules' outcome")
        return None
    if not 0.0 <= value <= 1.0:  # also NaN
        logger.error("The comment classifier answered %r, not a score in [0, 1]; ignored", value)
        return None
    return value


# ------------------------------------------------------------------------------
# The local classifier: trained on this site's decisions
# ------------------------------------------------------------------------------


def train(texts: Sequence[str], removed: Sequence[bool]):
    """A model that learned which texts moderators removed: words (with pairs) and character n-grams, which catch
    spellings spammers vary ("v1agra"), weighted by TF-IDF into a logistic regression whose probability is the
    score. Classes weighted by their size: removals are the rarer class on a real site."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    model = make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True),
        ),
        LogisticRegression(class_weight="balanced", max_iter=1000),
    )
    model.fit(list(texts), [int(flag) for flag in removed])
    return model


def save_model(model, path: str | os.PathLike) -> Path:
    """Write the model where the local classifier reads it, whole or not at all (a temporary file, then renamed:
    web nodes reading it meanwhile see the old model)."""
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    joblib.dump(model, temporary)
    temporary.replace(path)
    return path


class LocalClassifier:
    """Scores with the model file at COMMENTS_CLASSIFIER_MODEL, loaded once per process and again when the file
    changes (a retrained model is picked up without a restart). The file is a pickle: only ever one this site's
    own train_classifier wrote, never one from elsewhere."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loaded: tuple[tuple[str, float], object] | None = None

    def model(self):
        import joblib

        path = str(settings.COMMENTS_CLASSIFIER_MODEL)
        try:
            stamp = (path, os.stat(path).st_mtime)
        except OSError as error:
            raise ClassifierError(f"No classifier model at {path}: run manage.py train_classifier") from error
        with self._lock:
            if self._loaded is None or self._loaded[0] != stamp:
                self._loaded = (stamp, joblib.load(path))
            return self._loaded[1]

    def scores(self, texts: Iterable[str]) -> list[float]:
        """Many texts at once (the replay command): one call into the model."""
        return [float(p) for p in self.model().predict_proba(list(texts))[:, 1]]

    def __call__(self, comment_text: str, *, author=None, article=None) -> float:
        return self.scores([comment_text])[0]


local = LocalClassifier()


# ------------------------------------------------------------------------------
# The HTTP classifier: the newsroom's own moderation service
# ------------------------------------------------------------------------------


def http(comment_text: str, *, author=None, article=None) -> float:
    """POST {"text", "story", "author"} as JSON to COMMENTS_CLASSIFIER_URL; the service answers {"score": x}.
    Only the text and ids leave the site. Raises ClassifierError (or a timeout) on any failure; `score` logs it."""
    payload = {
        "text": comment_text,
        "story": getattr(article, "pk", None),
        "author": getattr(author, "pk", None),
    }
    request = urllib.request.Request(
        settings.COMMENTS_CLASSIFIER_URL,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=settings.COMMENTS_CLASSIFIER_TIMEOUT) as response:
        answer = json.loads(response.read(64 * 1024))
    if not isinstance(answer, dict) or isinstance(answer.get("score"), bool):
        raise ClassifierError(f"The moderation service answered {answer!r}, not {{'score': number}}")
    try:
        return float(answer["score"])
    except (KeyError, TypeError, ValueError) as error:
        raise ClassifierError(f"The moderation service answered {answer!r}, not {{'score': number}}") from error
