"""Text similarity for duplicate hints: Swedish-aware TF-IDF over a case's title and need.

Plain Python, no Flask, no database and nothing downloaded: the stopword list and the
stemmer live in this module.

* :func:`tokens` lowercases (å, ä and ö are kept; é, ü, æ, ø and the like are folded to
  their Swedish neighbours), splits on everything that is not a letter and drops stopwords.
* :func:`stem` is a light suffix stripper for the common Swedish inflections (``-en``, ``-et``,
  ``-erna``, ``-arna``, ``-orna``, ``-ar``, ``-er``, ``-or``, ``-na``, ``-ning``, ``-ningar``,
  ``-ande``, ``-ade`` …). It conflates, it does not analyse: ``brukarna``, ``brukaren`` and
  ``brukare`` all become ``bruk``.
* Swedish writes compounds as one word (``nyckelhantering``, ``läkemedelsdelegeringar``), so
  the stems of longer words also contribute their character 4-grams as extra features with a
  lower weight; ``nyckelskåp`` and ``nycklar`` then share something even though the words differ.
* A document is its title (weighted :data:`TITLE_WEIGHT`) plus its need, in one vector:
  sublinear term frequency times smoothed idf, ``ln((1 + N) / (1 + df)) + 1``, L2-normalised.
  Similarity is the cosine.

Cost: building an index is linear in the text, and a query touches only the postings of its
own features. 3 000 cases (title and need) build in about a quarter of a second and a query
takes milliseconds. At 10 000 cases a build takes about a second, so the service no longer
indexes the region: the database's text search picks at most 50 candidates and only those are
indexed here, per question (workflow/similar/service.py).
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Collection, Iterable, Mapping

TITLE_WEIGHT = 2.5
NEED_WEIGHT = 1.0
NGRAM_SIZE = 4
NGRAM_MIN_STEM = 7  # only stems at least this long are split into n-grams
NGRAM_WEIGHT = 0.25  # per n-gram, relative to a whole word
NGRAM_PREFIX = "#"  # keeps n-gram features apart from short words with the same letters
FEATURE_CACHE = 1024  # texts whose features are kept (about 4 KiB each: 4 MiB)

STOPWORDS = frozenset("""
    alla allt alltid andra annan annat att av bara behöva blev bli blir blivit både
    da de dem den denna deras dess dessa det detta dig din dina ditt dock du där därför då
    efter eftersom ej eller en er era ert ett ex fast fler flera for från få får för före
    ge ger genom gå går gör göra gjorde ha hade han hans har hela helt henne hennes hon honom
    hur här hos i ibland icke igen in ingen inget inga inom inte jag ju just kan kanske kommer
    kunde kunna man med mellan men mer mest mig min mina mitt mot mycket många måste ni nu när
    någon något några och ocksa också ofta om oss på redan samma sedan sig sin sina sitt
    ska skall skulle som så sådan sådana sådant t till tex tills under upp ut utan vad var vara
    varför varit varje vars vart vem vi via vid vilka vilkas vilken vilket vill vår våra vårt
    än är även åt över
""".split())

# Letters outside Swedish folded to their closest Swedish letter; å, ä, ö stay as they are.
_FOLD = str.maketrans({"é": "e", "è": "e", "ê": "e", "ë": "e", "á": "a", "à": "a", "â": "a",
                       "í": "i", "ì": "i", "ï": "i", "ó": "o", "ò": "o", "ô": "o", "ú": "u",
                       "ù": "u", "ü": "u", "ý": "y", "ç": "c", "ñ": "n", "æ": "ä", "ø": "ö"})
_WORD = re.compile(r"[^\W\d_]+")
_VOWELS = frozenset("aeiouyåäö")

# Tried longest first; a suffix is stripped only if at least MIN_STEM letters remain.
_SUFFIXES = tuple(sorted("""
    heterna hetens heten heter het
    ningarna ningarnas ningens ningen ningar ning
    ingarna ingarnas ingens ingen ingar ing
    andets andet andes ande endes ende
    arnas ernas ornas arna erna orna arens aren are ades ade ad
    ens ern en ets et ar er or as es at an na a e
""".split(), key=len, reverse=True))
MIN_STEM = 3
# -s (genitive, deponent verbs) only after a consonant that can end a Swedish stem.
_S_ENDING = frozenset("bcdfghjklmnoprtvy")


_FOREIGN = re.compile("[" + "".join(chr(c) for c in _FOLD) + "]")


def fold(text: str) -> str:
    """Lowercase, with letters foreign to Swedish folded (``idé`` → ``ide``, ``ø`` → ``ö``)."""
    text = text.lower()
    return text.translate(_FOLD) if _FOREIGN.search(text) else text


def words(text: str) -> list[str]:
    """Lowercased words of ``text``: runs of letters (å ä ö kept), digits and signs split."""
    return _WORD.findall(fold(text or ""))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light Swedish stem, e.g. ``brukarna``, ``brukaren``, ``brukare`` → ``bruk``.

    Steps: ``-ation`` becomes ``-er`` (``dokumentation`` meets ``dokumentera``); then at most
    two common suffixes are stripped (``signerade`` → ``signer`` → ``sign``), each only if
    at least :data:`MIN_STEM` letters with a vowel remain; a final ``-s`` only after a
    consonant that can end a stem; ``-lt``/``-kt``/``-gt``/``-dt`` lose their ``t``; then
    the e-syncope of ``nyckel``/``nycklar`` is undone (``nyckl``) and a doubled final
    consonant is single (``natt`` → ``nat``). Short words are left alone. The result is a
    key for matching, not a word.
    """
    if len(word) <= MIN_STEM:
        return word
    for long_form in ("ationerna", "ationens", "ationen", "ationer", "ation"):
        if word.endswith(long_form) and len(word) - len(long_form) >= MIN_STEM:
            word = word[: -len(long_form)] + "er"
            break
    for _ in range(2):
        shorter = _strip_suffix(word)
        if shorter == word:
            break
        word = shorter
    # e-syncope: nyckel/nycklar, cykel/cyklar, regel/regler -> nyckl, cykl, regl
    if (len(word) > MIN_STEM + 1 and word[-2:] in ("el", "er") and word[-3] not in _VOWELS
            and word[-3] != word[-1]):
        word = word[:-2] + word[-1]
    if len(word) > MIN_STEM and word[-1] == word[-2] and word[-1] not in _VOWELS:
        word = word[:-1]
    return word


def _strip_suffix(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix):
            rest = word[: -len(suffix)]
            if len(rest) >= MIN_STEM and _has_vowel(rest):
                return rest
    if len(word) > MIN_STEM + 1 and word.endswith("s") and word[-2] in _S_ENDING:
        return word[:-1]
    if len(word) > MIN_STEM + 2 and word[-2:] in ("lt", "kt", "gt", "dt"):
        return word[:-1]  # digitalt -> digital, ekonomiskt -> ekonomisk
    if len(word) > MIN_STEM + 2 and word.endswith("eln"):
        return word[:-1]  # nyckeln -> nyckel
    return word


def _has_vowel(text: str) -> bool:
    return any(c in _VOWELS for c in text)


def tokens(text: str) -> list[str]:
    """The stems of the words of ``text`` that are not stopwords (single letters dropped)."""
    return [stem(w) for w in words(text) if len(w) > 1 and w not in STOPWORDS]


@lru_cache(maxsize=65536)
def ngrams(token: str, size: int = NGRAM_SIZE) -> tuple[str, ...]:
    """Character n-grams of a long stem, marked with :data:`NGRAM_PREFIX`; none for short."""
    if len(token) < NGRAM_MIN_STEM:
        return ()
    return tuple(NGRAM_PREFIX + token[i:i + size] for i in range(len(token) - size + 1))


def features(text: str, weight: float = 1.0) -> dict[str, float]:
    """Weighted raw term counts: each stem counts ``weight``, each of its n-grams less."""
    counts: dict[str, float] = defaultdict(float)
    for token in tokens(text):
        counts[token] += weight
        for gram in ngrams(token):
            counts[gram] += weight * NGRAM_WEIGHT
    return counts


@lru_cache(maxsize=FEATURE_CACHE)
def document_features(title: str, need: str) -> Mapping[str, float]:
    """A case's raw features: the title counts :data:`TITLE_WEIGHT` times the need.

    Kept for the last :data:`FEATURE_CACHE` texts (read-only): the same candidates come back
    for every page of a region, and the words of a text never change, so the cache cannot
    be stale (issue 14: half of a case page's hint time was this)."""
    counts = defaultdict(float, features(title, TITLE_WEIGHT))
    for term, value in features(need, NEED_WEIGHT).items():
        counts[term] += value
    return MappingProxyType(dict(counts))


def _normalised(vector: Mapping[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {t: v / norm for t, v in vector.items()} if norm else {}


@dataclass(frozen=True)
class Index:
    """An immutable TF-IDF index over ``(id, title, need)`` documents."""
    ids: tuple[int, ...]
    idf: Mapping[str, float]
    default_idf: float  # for terms no document has: ln(1 + N) + 1
    postings: Mapping[str, tuple[tuple[int, float], ...]]  # term -> (position, weight)

    def __len__(self) -> int:
        return len(self.ids)

    def vector(self, title: str, need: str) -> dict[str, float]:
        """The query's L2-normalised TF-IDF vector (unknown terms count towards its norm)."""
        raw = document_features(title, need)
        return _normalised({t: math.log1p(v) * self.idf.get(t, self.default_idf)
                            for t, v in raw.items()})

    def most_similar(self, title: str, need: str = "", limit: int = 5,
                     exclude: Collection[int] | int | None = None,
                     min_score: float = 0.1) -> list[tuple[int, float]]:
        """The ``limit`` documents most like ``title``/``need``, as ``(id, cosine)``, best
        first; ties by id ascending. ``exclude`` (an id or ids) never appears; documents
        below ``min_score`` are left out."""
        excluded = {exclude} if isinstance(exclude, int) else set(exclude or ())
        scores: dict[int, float] = defaultdict(float)
        for term, weight in self.vector(title, need).items():
            for position, doc_weight in self.postings.get(term, ()):
                scores[position] += weight * doc_weight
        ranked = sorted(((self.ids[p], round(s, 6)) for p, s in scores.items()),
                        key=lambda item: (-item[1], item[0]))
        return [(doc_id, score) for doc_id, score in ranked
                if doc_id not in excluded and score >= min_score][:max(limit, 0)]


def build_index(docs: Iterable[tuple[int, str, str]]) -> Index:
    """Index ``(id, title, need)`` triples (ids unique; ``None`` texts count as empty)."""
    ids: list[int] = []
    raw: list[dict[str, float]] = []
    for doc_id, title, need in docs:
        ids.append(doc_id)
        raw.append(document_features(title or "", need or ""))
    if len(set(ids)) != len(ids):
        raise ValueError("document ids must be unique")
    df: dict[str, int] = defaultdict(int)
    for counts in raw:
        for term in counts:
            df[term] += 1
    n = len(ids)
    idf = {t: math.log((1 + n) / (1 + d)) + 1 for t, d in df.items()}
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for position, counts in enumerate(raw):
        vector = _normalised({t: math.log1p(v) * idf[t] for t, v in counts.items()})
        for term, weight in vector.items():
            postings[term].append((position, weight))
    return Index(ids=tuple(ids), idf=idf, default_idf=math.log(1 + n) + 1,
                 postings={t: tuple(p) for t, p in postings.items()})
