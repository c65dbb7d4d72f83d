"""Command line: parses arguments, calls the services, prints. Imports the ui only for `gui`.

Every failure is one line on stderr naming the file (and line), with a non-zero exit.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from annotator import __version__
from annotator.core.errors import AnnotatorError

if TYPE_CHECKING:
    from argparse import _SubParsersAction

    from annotator.core.models import LabelSchema

    _Subparsers = _SubParsersAction[argparse.ArgumentParser]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _csv(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or None


def cmd_gui(args: argparse.Namespace) -> int:
    project_path: str | Path
    if not args.project:
        from annotator.services.sample import ensure_sample_project

        project_path = ensure_sample_project()
    else:
        from annotator.store.names import check_location, project_location

        project_path = project_location(args.project)
        # A clear error here beats one inside the GUI. Only the folder is checked: the
        # window opens the project after it shows, and reports anything else it finds
        # there the same way (stderr, exit code 1) as well as in a message box.
        check_location(project_path)
    if args.annotator is not None:
        from annotator.store.names import check_annotator_name

        check_annotator_name(args.annotator)
    # No cyclic collection until the window has opened its project (run_gui turns it
    # back on then): start-up makes tens of thousands of objects, Qt's and ours, nearly
    # all of which live as long as the app, and the collector walked them over and over.
    gc.disable()
    try:
        from annotator.ui.app import run_gui

        return run_gui(project_path, args.annotator, remember=args.remember)
    finally:
        gc.enable()


def cmd_init(args: argparse.Namespace) -> int:
    from annotator.services import import_sources
    from annotator.services.progress import TerminalProgress
    from annotator.store.open import create_project, is_database_url, project_location

    schema = None
    if args.labels:
        schema = _read_schema(Path(args.labels))
    sources = [Path(source) for source in args.sources]
    for source in sources:
        if not source.exists():
            raise AnnotatorError(f"{source}: no such file or folder")
    location = project_location(args.project)
    folder = None if is_database_url(location) else Path(location)
    created_folder = folder is not None and not folder.exists()
    project = create_project(location, name=args.name, schema=schema)
    try:
        if sources:
            progress = TerminalProgress("importing")
            summary = import_sources(
                project, sources, args.format, args.annotator, progress, notify=_say
            )
            progress.done()
            print(f"{project.location}: project created; {summary.describe()}")
        else:
            print(f"{project.location}: project created")
    except BaseException:
        project.close()
        # A database project stays, empty: the failed import added nothing to it.
        if folder is not None:
            _remove_new_project(folder, created_folder)
        raise
    project.close()
    return EXIT_OK


def _remove_new_project(path: Path, created_folder: bool) -> None:
    """A failed `init` leaves no half-made project behind."""
    import shutil

    if created_folder:
        shutil.rmtree(path, ignore_errors=True)
    else:
        for child in path.iterdir():
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)


def _read_schema(path: Path) -> LabelSchema:
    import orjson
    from pydantic import ValidationError

    from annotator.core.errors import InputError
    from annotator.core.models import LabelSchema

    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except orjson.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON: {exc.msg}", getattr(exc, "lineno", None)) from None
    if isinstance(data, dict) and "schema" in data and "labels" not in data:
        data = data["schema"]
    try:
        return LabelSchema.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error.get("loc", ()))
        raise InputError(path, f"{where}: {error.get('msg')}") from None


def cmd_import(args: argparse.Namespace) -> int:
    from annotator.services import import_sources
    from annotator.services.progress import TerminalProgress
    from annotator.store.open import open_project, project_location, shown_location

    with open_project(project_location(args.project)) as project:
        progress = TerminalProgress("importing")
        try:
            summary = import_sources(
                project,
                [Path(source) for source in args.sources],
                args.format,
                args.annotator,
                progress,
                notify=_say,
                offset_unit=args.offset_unit,
                skip_invalid=args.skip_invalid,
            )
        finally:
            progress.done()
    print(f"{shown_location(args.project)}: {summary.describe()}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from annotator.services import export_project
    from annotator.services.progress import TerminalProgress
    from annotator.store.open import open_project, project_location

    with open_project(project_location(args.project)) as project:
        progress = TerminalProgress("exporting")
        try:
            summary = export_project(
                project,
                args.format,
                Path(args.output),
                annotator=args.annotator,
                gold=args.gold,
                labels=_csv(args.labels),
                statuses=_csv(args.status),
                split=args.split,
                progress=progress,
                notify=_say,
                include_unlabelled=args.include_unlabelled,
            )
        finally:
            progress.done()
    files = ", ".join(str(path) for path in summary.files)
    print(
        f"exported {summary.documents} documents, {summary.spans} spans, "
        f"{summary.relations} relations to {files}"
    )
    for line in summary.left_out_lines():
        print(line)
    return EXIT_OK


def cmd_agree(args: argparse.Namespace) -> int:
    import orjson

    from annotator.review.agreement import compute_agreement, format_report
    from annotator.store.open import open_project, project_location

    with open_project(project_location(args.project)) as project:
        report = compute_agreement(project, _csv(args.annotators), statuses=_csv(args.status))
    if args.json:
        print(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        print(format_report(report))
    return EXIT_OK


def cmd_review(args: argparse.Namespace) -> int:
    from annotator.review.source import ReviewSource
    from annotator.store.open import open_project, project_location

    annotators = _csv(args.annotators)
    with open_project(project_location(args.project)) as project:
        # A clear error here beats one in the GUI; on a team server, without names, the
        # window waits for the analysts.
        ReviewSource(project, annotators, at_least=0 if project.remote and not annotators else 2)
    from annotator.ui.review_app import run_review

    return run_review(project_location(args.project), args.reviewer, annotators)


def cmd_check(args: argparse.Namespace) -> int:
    from annotator.services import check_project
    from annotator.store.open import open_project, project_location, shown_location

    # Read-only: an unfinished import is reported, not undone.
    with open_project(project_location(args.project), recover=False) as project:
        problems = check_project(project)
        count = len(project)
    for problem in problems:
        print(problem)
    if problems:
        _say(
            f"{shown_location(args.project)}: {len(problems)} problem{'s' if len(problems) != 1 else ''}"
        )
        return EXIT_ERROR
    print(f"{shown_location(args.project)}: {count} documents, no problems")
    return EXIT_OK


def cmd_suggest(args: argparse.Namespace) -> int:
    from annotator.assist.run import run_suggest
    from annotator.services.progress import TerminalProgress
    from annotator.store.open import open_project, project_location

    if args.format and not args.predictions:
        raise AnnotatorError("--format names the format of --from PATH; give --from too")
    with open_project(project_location(args.project)) as project:
        progress = TerminalProgress("suggesting")
        try:
            name, reports = run_suggest(
                project,
                args.annotator,
                [Path(path) for path in args.patterns or ()],
                label=args.label,
                model=args.model,
                ignore_case=args.ignore_case,
                progress=progress,
                notify=_say,
                predictions=Path(args.predictions) if args.predictions else None,
                predictions_format=args.format or "citron",
            )
        finally:
            progress.done()
    for report in reports:
        print(f"{name}: {report.describe()}")
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    import orjson

    from annotator.assist.train import check_model_dir, choose_device, train_model
    from annotator.services.progress import TerminalProgress
    from annotator.store.names import GOLD_ANNOTATOR
    from annotator.store.open import open_project, project_location

    if bool(args.annotator) == bool(args.gold):
        raise AnnotatorError("train: give --annotator NAME or --gold (one of them)")
    out = Path(args.output)
    check_model_dir(out)
    device = choose_device(args.gpu)
    if args.gpu:
        _say(f"training on the {device}")
    with open_project(project_location(args.project)) as project:
        progress = TerminalProgress("training (epochs)")
        try:
            report = train_model(
                project,
                GOLD_ANNOTATOR if args.gold else args.annotator,
                out,
                epochs=args.epochs,
                use_gpu=args.gpu,
                progress=progress,
            )
        finally:
            progress.done()
    for notice in report.notices:
        _say(notice)
    if args.json:
        print(orjson.dumps(report.as_json()).decode())
    else:
        print(report.describe())
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    import orjson

    from annotator.formats.native import json_schema

    print(orjson.dumps(json_schema(args.what), option=orjson.OPT_INDENT_2).decode())
    return EXIT_OK


def cmd_settings(args: argparse.Namespace) -> int:
    import orjson

    from annotator.services.settings import change_settings
    from annotator.store.open import open_project, project_location

    with open_project(project_location(args.project)) as project:
        settings = change_settings(project, args.assignments)
    print(orjson.dumps(settings, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())
    return EXIT_OK


def cmd_copy(args: argparse.Namespace) -> int:
    from annotator.store.transfer import copy_between

    print(copy_between(args.source, args.destination))
    return EXIT_OK


# The subcommands, in build_parser's order (a test checks they match).
COMMANDS = (
    "gui",
    "init",
    "import",
    "export",
    "agree",
    "review",
    "check",
    "suggest",
    "train",
    "schema",
    "settings",
    "copy",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="annotator",
        description="Label entities, claims, quotes and their sources in news articles.",
    )
    parser.add_argument("--version", action="version", version=f"annotator {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add_command in _COMMAND_PARSERS:
        add_command(sub)
    return parser


_FORMATS = "auto|text|jsonl|native|prodigy|doccano|label-studio|brat|citron"


def _add_gui(sub: _Subparsers) -> None:
    gui = sub.add_parser("gui", help="open the labelling window (the sample project by default)")
    gui.add_argument("project", nargs="?", help="project folder")
    gui.add_argument("--annotator", help="your name: your labels are saved under it")
    gui.add_argument("--remember", action="store_true", help="keep --annotator for later runs")
    gui.set_defaults(func=cmd_gui)


def _add_init(sub: _Subparsers) -> None:
    init = sub.add_parser("init", help="create a project, optionally importing articles")
    init.add_argument("project", help="new project folder")
    init.add_argument("sources", nargs="*", help=".txt/.md files, folders of them, or JSONL/JSON")
    init.add_argument("--labels", metavar="SCHEMA.json", help="label schema to start from")
    init.add_argument("--name", help="project name (default: the folder name)")
    init.add_argument("--annotator", help="annotator for labels found in the sources")
    init.add_argument("--format", default="auto", help=f"format of the sources: {_FORMATS}")
    init.set_defaults(func=cmd_init)


def _add_import(sub: _Subparsers) -> None:
    imp = sub.add_parser("import", help="add documents (and labels) to a project")
    imp.add_argument("project")
    imp.add_argument("sources", nargs="+")
    imp.add_argument("--annotator", help="annotator for labels found in the sources")
    imp.add_argument("--format", default="auto", help=_FORMATS)
    imp.add_argument(
        "--offset-unit",
        choices=("codepoint", "utf16"),
        help="how offsets count in formats that state no span text (doccano); by default "
        "decided per document from its spans, and asked for when they do not tell",
    )
    imp.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the valid records; list the others (file, line, reason) in "
        "PROJECT/import-report-*.jsonl",
    )
    imp.set_defaults(func=cmd_import)


def _add_export(sub: _Subparsers) -> None:
    exp = sub.add_parser("export", help="write labelled documents in an interchange format")
    exp.add_argument("project")
    exp.add_argument("--format", required=True, help="native, prodigy, doccano, label-studio, ...")
    exp.add_argument(
        "-o", "--output", required=True, help="output file (a folder for brat/citron/--split)"
    )
    who = exp.add_mutually_exclusive_group()
    who.add_argument("--annotator", help="whose labels (needed when several analysts labelled)")
    who.add_argument("--gold", action="store_true", help="the settled (adjudicated) labels")
    exp.add_argument("--labels", help="only these span labels, comma-separated")
    exp.add_argument("--status", help="only documents with these statuses, e.g. done")
    exp.add_argument("--split", help="e.g. train=0.8,dev=0.1,test=0.1 (by a hash of the id)")
    exp.add_argument(
        "--include-unlabelled",
        action="store_true",
        help="also documents nobody labelled (status todo, no labels) or skipped",
    )
    exp.set_defaults(func=cmd_export)


def _add_agree(sub: _Subparsers) -> None:
    agree = sub.add_parser("agree", help="inter-annotator agreement on spans and relations")
    agree.add_argument("project")
    agree.add_argument("--annotators", metavar="A,B", help="whose labels (default: everyone's)")
    agree.add_argument("--status", help="only documents with these statuses, e.g. done")
    agree.add_argument("--json", action="store_true", help="print JSON instead of a table")
    agree.set_defaults(func=cmd_agree)


def _add_review(sub: _Subparsers) -> None:
    rev = sub.add_parser("review", help="compare annotators and settle a gold version (GUI)")
    rev.add_argument("project")
    rev.add_argument("--reviewer", required=True, help="your name, recorded in the gold layer")
    rev.add_argument("--annotators", metavar="A,B", help="whose labels (default: everyone's)")
    rev.set_defaults(func=cmd_review)


def _add_check(sub: _Subparsers) -> None:
    check = sub.add_parser("check", help="verify every label against its text; exit 1 on problems")
    check.add_argument("project")
    check.set_defaults(func=cmd_check)


def _add_suggest(sub: _Subparsers) -> None:
    sug = sub.add_parser("suggest", help="pre-annotate with pattern files or a spaCy model")
    sug.add_argument("project")
    sug.add_argument(
        "--patterns",
        action="append",
        metavar="FILE",
        help="Prodigy pattern JSONL, or a word list (one phrase a line) with --label",
    )
    sug.add_argument("--annotator", help="whose suggestions (default: the only annotator)")
    sug.add_argument("--label", help="label for the phrases of a word list")
    sug.add_argument(
        "--model",
        metavar="MODEL",
        help="spaCy pipeline: a folder from `annotator train`, or a package (en_core_web_sm)",
    )
    sug.add_argument(
        "--ignore-case", action="store_true", help="string patterns and word lists ignore case"
    )
    predictions = "another system's predictions to correct: Citron JSON files (a folder, or one)"
    sug.add_argument("--from", dest="predictions", metavar="PATH", help=predictions)
    sug.add_argument("--format", choices=["citron"], help="--from's format (citron)")
    sug.set_defaults(func=cmd_suggest)


def _add_train(sub: _Subparsers) -> None:
    train = sub.add_parser("train", help="train a spaCy pipeline on an analyst's labels")
    train.add_argument("project")
    train.add_argument("--annotator", help="whose labels to learn from")
    train.add_argument("--gold", action="store_true", help="learn from the settled gold layer")
    train.add_argument("-o", "--output", required=True, metavar="MODEL_DIR", help="new folder")
    train.add_argument("--epochs", type=int, default=30, help="passes over the data (30)")
    train.add_argument("--json", action="store_true", help="print the dev figures as JSON")
    train.add_argument("--gpu", action="store_true", help="use a GPU if spaCy finds one")
    train.set_defaults(func=cmd_train)


def _add_schema(sub: _Subparsers) -> None:
    schema = sub.add_parser("schema", help="print the JSON Schema of an export or project file")
    schema.add_argument(
        "what",
        nargs="?",
        default="native",
        choices=["native", "labels", "project"],
        help="native export record (default), label schema, or annotator.json",
    )
    schema.set_defaults(func=cmd_schema)


def _add_settings(sub: _Subparsers) -> None:
    settings = sub.add_parser(
        "settings",
        help="show or change the project's settings",
        epilog="settings: analysts_per_document, how many analysts each document is handed "
        "to on a team server (default 1; 2 or 3 for an agreement sample)",
    )
    settings.add_argument("project", help="project folder or postgresql://user@host:port/db")
    settings.add_argument("assignments", nargs="*", metavar="NAME=VALUE", help="settings to change")
    settings.set_defaults(func=cmd_settings)


def _add_copy(sub: _Subparsers) -> None:
    copy = sub.add_parser("copy", help="copy a project between a folder and a database")
    copy.add_argument("source", help="project folder or postgresql://user@host:port/db")
    copy.add_argument("destination", help="new folder, or an empty database's URL")
    copy.set_defaults(func=cmd_copy)


# Every command's parser, in COMMANDS order (a test checks they match).
_COMMAND_PARSERS: tuple[Callable[[_Subparsers], None], ...] = (
    _add_gui,
    _add_init,
    _add_import,
    _add_export,
    _add_agree,
    _add_review,
    _add_check,
    _add_suggest,
    _add_train,
    _add_schema,
    _add_settings,
    _add_copy,
)


def _default_to_gui(arguments: list[str]) -> list[str]:
    """Bare `annotator` (with or without gui options) means `annotator gui`."""
    if {"-h", "--help", "--version"} & set(arguments):
        return arguments
    positional = [arg for arg in arguments if not arg.startswith("-")]
    if positional and positional[0] in COMMANDS:
        return arguments
    if "--debug" in arguments:
        arguments = [arg for arg in arguments if arg != "--debug"]
        return ["--debug", "gui", *arguments]
    return ["gui", *arguments]


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _default_to_gui(list(sys.argv[1:] if argv is None else argv))
    args = build_parser().parse_args(arguments)
    debug = args.debug or os.environ.get("ANNOTATOR_DEBUG") == "1"
    try:
        return int(args.func(args))
    except AnnotatorError as exc:
        if debug:
            raise
        _say(f"annotator: error: {exc}")
        return EXIT_ERROR
    except BrokenPipeError:
        # Whoever read our output stopped early (`annotator agree P | head`): not a failure.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        _say("annotator: interrupted; nothing was half-written")
        return 130
    except OSError as exc:
        if debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        _say(f"annotator: error: {where}{exc.strerror or exc}")
        return EXIT_ERROR
    except Exception as exc:
        if debug:
            raise
        _say(
            f"annotator: internal error: {type(exc).__name__}: {exc} (run with --debug for details)"
        )
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
