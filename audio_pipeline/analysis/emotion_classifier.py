"""A small, transparent learned witness for emotional content: logistic regression on word n-grams
(scikit-learn, BSD), trained at first use from labelled turns shipped as editable data.

Why: rules written from examples miss phrasing their author did not think of; a linear model over
words generalises from the same labelled turns to new combinations of words (measured on a held-out
split in the README). It stays inspectable: every cue it adds names this resource and the words that
weighed most for it, and the training rows are a CSV a site can read and extend (add rows, restart,
the model follows). It only ever adds a cue, when its probability is high, on sentences the rules'
precision guards (stories, idioms, negated emotion words, everyday-object complaints) left alone;
that gating lives in emotion.py.

Deterministic: no random initialisation is involved (liblinear with a fixed seed, a fixed row order),
no download; training on ~2,000 turns takes well under a second and happens once per process and
training file.
"""

from __future__ import annotations

import csv
import functools
import logging
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from ..errors import InvalidOptionError

logger = logging.getLogger(__name__)

DEFAULT_TRAINING = Path(__file__).with_name("data") / "emotion_training.csv"
CLASSIFIER_RESOURCE = f"alliance emotion classifier (scikit-learn {version('scikit-learn')} logistic regression, BSD)"
_SEED = 0


@dataclass(frozen=True)
class ClassifierSettings:
    """The classifier section of the emotion lexicon (data/emotion_lexicon.yaml)."""

    training: Path
    threshold: float  # a sentence becomes a cue only at or above this probability
    weight: float
    strength: float  # inverse regularisation (scikit-learn's C)
    top_terms: int  # how many contributing words a cue names


class EmotionClassifier:
    """Word unigram and bigram TF-IDF features and a logistic regression over them."""

    def __init__(self, texts: list[str], labels: list[int], strength: float = 8.0) -> None:
        # Imported here, not at module level: scikit-learn takes over a second to import, and most
        # commands (export, review, serve) never detect emotion.
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        if len(set(labels)) < 2:
            raise InvalidOptionError("the emotion classifier's training rows need both emotional and neutral turns")
        self._vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)
        features = self._vectorizer.fit_transform(texts)
        self._model = LogisticRegression(
            C=strength, class_weight="balanced", solver="liblinear", random_state=_SEED, max_iter=2000
        )
        self._model.fit(features, labels)
        self._terms = self._vectorizer.get_feature_names_out()
        self._coef = self._model.coef_[0]

    def probability(self, text: str) -> float:
        """The probability that the text is an emotional turn."""
        return float(self._model.predict_proba(self._vectorizer.transform([text]))[0, 1])

    def top_terms(self, text: str, count: int = 3) -> list[str]:
        """The words (or word pairs) of the text that pushed the probability up most."""
        row = self._vectorizer.transform([text]).tocoo()
        contributions = [
            (float(value * self._coef[col]), str(self._terms[col])) for col, value in zip(row.col, row.data, strict=True)
        ]
        positive = sorted((c for c in contributions if c[0] > 0), key=lambda c: (-c[0], c[1]))
        return [term for _, term in positive[:count]]


def read_training(path: Path) -> tuple[list[str], list[int]]:
    """The labelled turns in a training CSV (columns text and emotional, 1 or 0; other columns ignored)."""
    texts: list[str] = []
    labels: list[int] = []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                text, label = (row.get("text") or "").strip(), (row.get("emotional") or "").strip()
                if not text:
                    continue
                if label not in {"0", "1"}:
                    raise InvalidOptionError(f"the emotion classifier's training file, line {line}: emotional must be 0 or 1")
                texts.append(text)
                labels.append(int(label))
    except OSError as exc:
        raise InvalidOptionError(f"the emotion classifier's training file could not be read ({type(exc).__name__})") from exc
    return texts, labels


@functools.lru_cache(maxsize=4)
def _trained(path: Path, strength: float, stamp: tuple[int, int]) -> EmotionClassifier:
    del stamp  # part of the cache key only: an edited file is retrained
    texts, labels = read_training(path)
    logger.info("emotion classifier trained on %d labelled turns", len(texts))
    return EmotionClassifier(texts, labels, strength)


def trained(settings: ClassifierSettings) -> EmotionClassifier:
    """The classifier for these settings, trained once per process and version of the training file."""
    try:
        stat = settings.training.stat()
    except OSError as exc:
        raise InvalidOptionError(f"the emotion classifier's training file could not be read ({type(exc).__name__})") from exc
    return _trained(settings.training, settings.strength, (stat.st_mtime_ns, stat.st_size))
