"""Train a spaCy pipeline on an analyst's labels and score it on held-out documents.

Entity labels whose spans never overlap go to ``ner``; claims, quotes, sources, cues and
every label whose spans overlap another's go to ``spancat``, with a ``span_finder`` that
proposes candidate spans of any length (quotes run to dozens of tokens, which spancat's
n-gram suggester would never propose). Relations are not learned yet.

Documents are split by a hash of their id (core.splits), as ``export --split`` does, so
a document stays on the same side as the project grows. The figures reported are those
of the saved model, loaded back from its folder, on the dev documents: there is no other
evaluation path.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from annotator.assist.model import SPANS_KEY, scored_spans
from annotator.core.errors import AnnotatorError
from annotator.core.models import text_hash
from annotator.core.splits import split_point
from annotator.store.interface import ProjectStore

DEV_SHARE = 0.2
CANDIDATES_KEY = "sc_candidates"
INFO_FILE = "annotator-model.json"
HISTORY_KIND = "models"
ENTITY_CATEGORY = "entity"
# Quotes and claims longer than this (in tokens) are not proposed by the span finder.
MAX_SPAN_TOKENS = 80

# (start, end, label) in code points of the document text.
SpanTuple = tuple[int, int, str]
# Called after every epoch with (epoch, epochs); raising stops the training.
EpochProgress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Sample:
    doc_id: str
    text: str
    spans: tuple[SpanTuple, ...]


@dataclass(slots=True)
class LabelScore:
    p: float
    r: float
    f: float
    gold: int

    def as_json(self) -> dict[str, float]:
        return {"p": round(self.p, 4), "r": round(self.r, 4), "f": round(self.f, 4)}


@dataclass
class TrainReport:
    model_dir: Path
    train_ids: list[str]
    dev_ids: list[str]
    labels: dict[str, LabelScore]
    f: float
    ner_labels: list[str]
    span_labels: list[str]
    device: str
    epochs: int
    seconds: float
    notices: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "dev": self.dev_ids,
            "labels": {name: score.as_json() for name, score in self.labels.items()},
            "f": round(self.f, 4),
        }

    def describe(self) -> str:
        lines = [
            f"trained on {len(self.train_ids)} documents in {self.seconds:.1f} s "
            f"({self.epochs} epochs, {self.device}); scored on {len(self.dev_ids)} dev "
            f"documents; saved to {self.model_dir}",
            f"{'label':<16} {'P':>6} {'R':>6} {'F':>6} {'gold':>6}",
        ]
        for name, score in self.labels.items():
            lines.append(
                f"{name:<16} {score.p:>6.3f} {score.r:>6.3f} {score.f:>6.3f} {score.gold:>6}"
            )
        lines.append(f"{'overall':<16} {'':>6} {'':>6} {self.f:>6.3f}")
        return "\n".join(lines)


def _spacy() -> Any:
    try:
        import spacy
    except ImportError:
        raise AnnotatorError(
            "training needs spaCy, which is not installed: pip install 'annotator[spacy]'"
        ) from None
    return spacy


# --- the data ----------------------------------------------------------------------------


def labelled_samples(
    project: ProjectStore, annotator: str, notices: list[str] | None = None
) -> list[Sample]:
    """The documents ``annotator`` has worked on, with their spans trimmed of edge spaces.

    Untouched documents (status todo without labels) and skipped ones are left out: an
    untouched article is not an example of "no entities here".
    """
    samples: list[Sample] = []
    stale = 0
    trimmed = 0
    reader = project.layer_reader(annotator)
    try:
        for doc_id in reader.doc_ids():
            summary = reader.summary(doc_id)
            if summary is None or doc_id not in project:
                continue
            if summary.status == "skipped" or (
                summary.status == "todo" and not summary.spans and not summary.relations
            ):
                continue
            text = project.get_text(doc_id)
            record = reader.get_record(doc_id, text)
            if record is None:
                continue
            if record["text_hash"] and record["text_hash"] != text_hash(text):
                stale += 1
                continue
            spans: list[SpanTuple] = []
            for span in record["spans"]:
                start, end = _trim(text, span["start"], span["end"])
                if (start, end) != (span["start"], span["end"]):
                    trimmed += 1
                if start < end:
                    spans.append((start, end, span["label"]))
            samples.append(Sample(doc_id, text, tuple(sorted(set(spans)))))
    finally:
        reader.close()
    if notices is not None:
        if stale:
            notices.append(f"{stale} documents left out: labelled on a different text")
        if trimmed:
            notices.append(f"{trimmed} spans trimmed of spaces at their edges")
    return samples


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_samples(samples: list[Sample]) -> tuple[list[Sample], list[Sample]]:
    """Train and dev documents by a hash of their ids; at least one on each side."""
    ordered = sorted(samples, key=lambda sample: split_point(sample.doc_id))
    dev = [s for s in ordered if split_point(s.doc_id) < DEV_SHARE]
    train = [s for s in ordered if split_point(s.doc_id) >= DEV_SHARE]
    # Small projects: the hash may put every document on one side.
    if not dev:
        dev, train = ordered[:1], ordered[1:]
    elif not train:
        dev, train = ordered[:-1], ordered[-1:]
    return train, dev


def assign_labels(
    samples: Iterable[Sample], category_of: Callable[[str], str]
) -> tuple[list[str], list[str]]:
    """(ner labels, spancat labels): entities that never overlap another entity go to ner."""
    labels: set[str] = set()
    overlapping: set[str] = set()
    for sample in samples:
        entities = sorted(s for s in sample.spans if category_of(s[2]) == ENTITY_CATEGORY)
        labels.update(s[2] for s in sample.spans)
        reach_end, reach_label = -1, ""
        for start, end, label in entities:
            if start < reach_end:
                overlapping.update((label, reach_label))
            if end > reach_end:
                reach_end, reach_label = end, label
    ner = sorted(
        name for name in labels if category_of(name) == ENTITY_CATEGORY and name not in overlapping
    )
    spancat = sorted(labels - set(ner))
    return ner, spancat


def make_doc(nlp: Any, sample: Sample, ner_labels: set[str]) -> tuple[Any, int]:
    """A reference Doc with the sample's spans; also how many needed widening to tokens."""
    from spacy.util import filter_spans

    doc = nlp.make_doc(sample.text)
    entities: list[Any] = []
    spans: list[Any] = []
    widened = 0
    for start, end, label in sample.spans:
        span = doc.char_span(start, end, label, alignment_mode="expand")
        if span is None:
            continue
        if (span.start_char, span.end_char) != (start, end):
            widened += 1
        (entities if label in ner_labels else spans).append(span)
    doc.set_ents(filter_spans(entities))
    doc.spans[SPANS_KEY] = spans
    doc.spans[CANDIDATES_KEY] = spans
    return doc, widened


def make_pipeline(
    ner_labels: list[str], span_labels: list[str], longest: int = 64, lang: str = "en"
) -> Any:
    """A blank pipeline for these labels; ``longest`` bounds proposed spans, in tokens
    (unbounded, an untrained span finder proposes every pair of tokens of an article)."""
    spacy = _spacy()
    nlp = spacy.blank(lang)
    if ner_labels:
        ner = nlp.add_pipe("ner")
        for label in ner_labels:
            ner.add_label(label)
    if span_labels:
        nlp.add_pipe("span_finder", config={"spans_key": CANDIDATES_KEY, "max_length": longest})
        spancat = nlp.add_pipe(
            "spancat",
            config={
                "spans_key": SPANS_KEY,
                "suggester": {
                    "@misc": "spacy.preset_spans_suggester.v1",
                    "spans_key": CANDIDATES_KEY,
                },
            },
        )
        for label in span_labels:
            spancat.add_label(label)
    return nlp


# --- predicting and scoring ----------------------------------------------------------------


def predict(nlp: Any, texts: Iterable[str]) -> Iterator[list[tuple[int, int, str, float]]]:
    """Each text's predicted spans: (start, end, label, score); entities score 1."""
    for doc in nlp.pipe(texts, batch_size=32):
        yield [(s.start_char, s.end_char, s.label_, score) for s, score in scored_spans(doc)]


def score(nlp: Any, samples: list[Sample]) -> tuple[dict[str, LabelScore], float]:
    """Exact-match precision, recall and F1 per label, and micro-averaged F1."""
    true_pos: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    gold: Counter[str] = Counter()
    for sample, found in zip(samples, predict(nlp, (s.text for s in samples)), strict=True):
        guessed = {(start, end, label) for start, end, label, _ in found}
        expected = set(sample.spans)
        for start, end, label in guessed:
            predicted[label] += 1
            if (start, end, label) in expected:
                true_pos[label] += 1
        gold.update(label for _, _, label in expected)
    labels = {
        name: _prf(true_pos[name], predicted[name], gold[name])
        for name in sorted(set(gold) | set(predicted))
    }
    overall = _prf(sum(true_pos.values()), sum(predicted.values()), sum(gold.values()))
    return labels, overall.f


def _prf(true_pos: int, predicted: int, gold: int) -> LabelScore:
    p = true_pos / predicted if predicted else 0.0
    r = true_pos / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return LabelScore(p, r, f, gold)


# --- training --------------------------------------------------------------------------------


def check_model_dir(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise AnnotatorError(f"{out}: already exists; choose a new folder for the model")


def choose_device(use_gpu: bool) -> str:
    if not use_gpu:
        return "CPU"
    spacy = _spacy()
    return "GPU" if spacy.prefer_gpu() else "CPU (no GPU found)"


def train_model(
    project: ProjectStore,
    annotator: str,
    out: Path,
    *,
    epochs: int = 30,
    seed: int = 0,
    use_gpu: bool = False,
    progress: EpochProgress | None = None,
) -> TrainReport:
    """Train on ``annotator``'s labels, keep the epoch that scores best on dev, save it to
    ``out`` (which must not exist yet, or be empty), and score the saved model."""
    check_model_dir(out)
    spacy = _spacy()
    notices: list[str] = []
    samples = labelled_samples(project, annotator, notices)
    if not samples:
        raise AnnotatorError(
            f"{project.location}: {annotator} has labelled no documents yet; label some "
            "(or mark them done) before training"
        )
    if len(samples) < 2:
        raise AnnotatorError(
            f"{project.location}: {annotator} has labelled one document; training needs at "
            "least two (one to learn from, one to check the model on)"
        )
    schema = project.schema

    def category_of(name: str) -> str:
        label = schema.label(name)
        return label.category if label is not None else ENTITY_CATEGORY

    train, dev = split_samples(samples)
    ner_labels, span_labels = assign_labels(samples, category_of)
    if not ner_labels and not span_labels:
        raise AnnotatorError(
            f"{project.location}: {annotator}'s labelled documents have no spans to learn from"
        )
    labels = ner_labels + span_labels
    if len(labels) == 1:
        notices.append(f"one label only ({labels[0]}): the model finds that label and nothing else")
    device = choose_device(use_gpu)
    started = time.perf_counter()
    spacy.util.fix_random_seed(seed)
    tokenizer = spacy.blank("en").tokenizer
    longest = max(
        (len(tokenizer(s.text[start:end])) for s in train for start, end, _ in s.spans), default=1
    )
    nlp = make_pipeline(ner_labels, span_labels, min(longest + 2, MAX_SPAN_TOKENS))
    examples, widened = _examples(nlp, train, set(ner_labels))
    if widened:
        notices.append(f"{widened} spans widened to whole tokens for training")
    optimizer = nlp.initialize(lambda: examples)
    annotates = ["span_finder"] if span_labels else []
    rng = random.Random(seed)
    best_f, best_bytes = -1.0, b""
    for epoch in range(1, epochs + 1):
        rng.shuffle(examples)
        for batch in spacy.util.minibatch(examples, size=8):
            nlp.update(batch, sgd=optimizer, drop=0.2, annotates=annotates)
        _, dev_f = score(nlp, dev)
        if dev_f > best_f:
            best_f, best_bytes = dev_f, nlp.to_bytes()
        if progress is not None:
            progress(epoch, epochs)
    nlp.from_bytes(best_bytes)
    _save_model(nlp, out, project, annotator, train, dev, labels)
    # The figures come from the saved folder, exactly as a user would load it.
    saved = spacy.load(out)
    scores, overall = score(saved, dev)
    report = TrainReport(
        out,
        [s.doc_id for s in train],
        [s.doc_id for s in dev],
        scores,
        overall,
        ner_labels,
        span_labels,
        device,
        epochs,
        time.perf_counter() - started,
        notices,
    )
    _remember(project, annotator, report, len(samples))
    return report


def _examples(nlp: Any, samples: list[Sample], ner_labels: set[str]) -> tuple[list[Any], int]:
    from spacy.training import Example

    examples = []
    widened = 0
    for sample in samples:
        reference, count = make_doc(nlp, sample, ner_labels)
        widened += count
        examples.append(Example(nlp.make_doc(sample.text), reference))
    return examples, widened


def _save_model(
    nlp: Any,
    out: Path,
    project: ProjectStore,
    annotator: str,
    train: list[Sample],
    dev: list[Sample],
    labels: list[str],
) -> None:
    """Write the pipeline beside ``out`` and rename it into place: a model folder is
    complete or absent."""
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.parent / f".{out.name}.{os.getpid()}.training"
    shutil.rmtree(temp, ignore_errors=True)
    try:
        nlp.meta["name"] = "annotator"
        nlp.to_disk(temp)
        info = {
            "project": project.name,
            "annotator": annotator,
            "labels": labels,
            "train": [s.doc_id for s in train],
            "dev": [s.doc_id for s in dev],
        }
        (temp / INFO_FILE).write_bytes(orjson.dumps(info, option=orjson.OPT_INDENT_2))
        if out.exists():
            out.rmdir()  # checked empty by check_model_dir
        temp.rename(out)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _remember(project: ProjectStore, annotator: str, report: TrainReport, documents: int) -> None:
    """Add this run to the analyst's training history (the learning-curve chart)."""
    saved = project.read_state(HISTORY_KIND, annotator)
    history: list[Any] = []
    if saved is not None:
        try:
            loaded = orjson.loads(saved)
            history = loaded if isinstance(loaded, list) else []
        except orjson.JSONDecodeError:
            history = []
    history.append(
        {
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "documents": documents,
            "model": str(report.model_dir),
            "labels": {name: round(s.f, 4) for name, s in report.labels.items()},
            "f": round(report.f, 4),
        }
    )
    project.write_state(HISTORY_KIND, annotator, orjson.dumps(history))


def training_history(project: ProjectStore, annotator: str) -> list[dict[str, Any]]:
    saved = project.read_state(HISTORY_KIND, annotator)
    if saved is None:
        return []
    try:
        loaded = orjson.loads(saved)
    except orjson.JSONDecodeError:
        return []
    return [run for run in loaded if isinstance(run, dict)] if isinstance(loaded, list) else []
