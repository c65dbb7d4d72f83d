"""`annotator suggest`: pattern files and/or a spaCy model over a project, as suggestions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from annotator.assist.model import ModelSuggester, load_pipeline
from annotator.assist.patterns import PatternSet, load_pattern_file
from annotator.assist.suggestions import (
    Progress,
    SuggestionLayer,
    SuggestReport,
    unfinished_documents,
)
from annotator.core.errors import AnnotatorError, InputError
from annotator.store.interface import ProjectStore

Notify = Callable[[str], None]
MAX_WARNINGS = 10


def choose_annotator(project: ProjectStore, annotator: str | None) -> str:
    """The named annotator, or the project's only one; suggestions belong to someone."""
    if annotator:
        return annotator
    names = [name for name in project.annotators() if name != "gold"]
    if len(names) == 1:
        return names[0]
    known = f" (this project has: {', '.join(names)})" if names else ""
    raise AnnotatorError(f"say whose suggestions these are with --annotator NAME{known}")


def load_patterns_for(
    project: ProjectStore, files: Sequence[Path], label: str | None, ignore_case: bool
) -> PatternSet:
    if label is not None and project.schema.label(label) is None:
        raise AnnotatorError(
            f"--label {label}: not one of the project's labels ({_names(project)})"
        )
    patterns = PatternSet()
    for path in files:
        patterns.extend(load_pattern_file(path, label, ignore_case))
    for pattern in patterns.patterns:
        if project.schema.label(pattern.label) is None:
            file, _, line = pattern.where.rpartition(":")
            raise InputError(
                file or pattern.where,
                f"label {pattern.label!r} is not one of the project's labels "
                f"({_names(project)}); add it to the schema first",
                int(line) if line.isdigit() else None,
            )
    return patterns


def model_suggester(model: str, label_names: Sequence[str]) -> ModelSuggester:
    """The pipeline as a suggester of the project's labels; refused when it knows none of
    them (a model trained on another project)."""
    suggester = ModelSuggester(load_pipeline(model), label_names)
    known = suggester.model_labels()
    if known and known.isdisjoint(label_names):
        raise AnnotatorError(
            f"{model}: the model's labels ({', '.join(sorted(known))}) are none of this "
            f"project's ({', '.join(label_names)}): it was trained on another project"
        )
    return suggester


def _names(project: ProjectStore) -> str:
    return ", ".join(project.schema.label_names())


def run_suggest(
    project: ProjectStore,
    annotator: str | None,
    pattern_files: Sequence[Path] = (),
    label: str | None = None,
    model: str | None = None,
    ignore_case: bool = False,
    progress: Progress | None = None,
    notify: Notify | None = None,
    predictions: Path | None = None,
    predictions_format: str = "citron",
) -> tuple[str, list[SuggestReport]]:
    """Add suggestions; returns the annotator and one report per finder (patterns, model,
    predictions)."""
    if not pattern_files and not model and predictions is None:
        raise AnnotatorError(
            "give --patterns FILE (a pattern JSONL or a word list), --model NAME or "
            "--from PATH (Citron's predictions)"
        )
    if label is not None and not pattern_files:
        raise AnnotatorError("--label names the label of a word list given with --patterns")
    say = notify or (lambda message: None)
    name = choose_annotator(project, annotator)
    reports = []
    if pattern_files:
        patterns = load_patterns_for(project, pattern_files, label, ignore_case)
        for warning in patterns.warnings[:MAX_WARNINGS]:
            say(warning)
        if len(patterns.warnings) > MAX_WARNINGS:
            say(f"... and {len(patterns.warnings) - MAX_WARNINGS} more patterns skipped")
        if not patterns.patterns:
            raise AnnotatorError(f"{pattern_files[0]}: no patterns in the file")
        layer = SuggestionLayer(project, name)
        source = "patterns:" + ",".join(Path(path).name for path in pattern_files)
        reports.append(layer.suggest(patterns.matcher(), source, progress=progress))
    if model:
        suggester = model_suggester(model, project.schema.label_names())
        layer = SuggestionLayer(project, name)
        unfinished = unfinished_documents(project, name)
        reports.append(
            layer.suggest(suggester, f"model:{model}", doc_ids=unfinished, progress=progress)
        )
        for skipped, count in suggester.skipped.most_common():
            say(f"{count} {skipped} entities skipped: {skipped} is not one of the project's labels")
    if predictions is not None:
        from annotator.assist.predictions import read_predictions, suggest_predictions

        found = read_predictions(project, name, predictions, predictions_format, progress)
        if found.describe():
            say(found.describe())
        reports.append(suggest_predictions(project, name, found, progress))
    return name, reports
