"""Start-up to a shown window, against a bare QApplication showing an empty QMainWindow.

    .venv/bin/python bench/bench_startup.py [--runs N]

Each run is a fresh interpreter (offscreen), timed by this process from spawning it
to the child's word that its window is shown and the first events (expose, paint) are
processed. The app runs as ``annotator gui PROJECT --annotator bench`` on a copy of the
bundled sample project, with its settings in a temporary folder. The two kinds of run
alternate, and the figure is the median of each (budget: within 1.5x, docs/architecture.md). The
child checks that the window it reports is the app's MainWindow, and lists which heavy
modules it imported (pydantic, the models, the store, formats, review, assist and spaCy
load after the window shows) and whether PySide6 had set up ``Qt``'s enums by then (it
should not have: annotator/ui/lazy_qt.py). 11 runs by default: the machine is shared,
and fewer left the median swinging by 0.1x from one run to the next.

The app's child lets the command line import PySide6, as ``annotator gui`` does (a
meta-path finder patches ``QApplication.exec`` in as PySide6.QtWidgets loads): importing
PySide6 first would add work a real launch does not do.

Each child also reports its CPU time (user and system, its interpreter's start included)
at SHOWN. When other processes compete for the two cores, the wall-clock ratio swings
(1.4-1.9x with two busy loops running, against 1.3-1.4x quiet), because the scheduler
does not slow a short process and a longer one alike; the CPU-time ratio stays within a
few hundredths. It is printed for information; the budget is the wall-clock ratio.

The window opens its project after its first paint, so a further line reports, for
information, the time until the window is usable: the project open, the document list
filled and the first document painted, against the same bare baseline.

Bytecode is cached (in the temporary folder) as on a user's machine, where Python writes
``__pycache__`` on the first run: the warm-up runs fill the cache even when the calling
environment sets PYTHONDONTWRITEBYTECODE.

``--instructions`` also runs each child once under valgrind's callgrind and reports the
instructions each executes up to its SHOWN line (the child ends there, without tearing
down): a count that does not move with the machine's load, for comparing two versions when
the timed medians swing by more than the change. It leaves out what instructions do not
show (page faults, reading files, cache misses), so its ratio runs lower than the timed
one; the budget is the timed one. It also counts the app's instructions until usable (the
project open and its first document painted), the figure that start-up work deferred
past the first frame lands in.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import Result  # noqa: E402

SMALL_ARGS = ["--runs", "1"]

# Both children print SHOWN once their window is on screen and its events processed.
BARE = """
import time
began = time.perf_counter()
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.show()
app.processEvents()
print("SHOWN", time.perf_counter() - began, time.process_time(), flush=True)
import os
if os.environ.get("BENCH_END_AT_SHOWN"):
    os._exit(0)
"""

APP = """
import sys, time
began = time.perf_counter()

def shown(self):
    self.processEvents()
    print("SHOWN", time.perf_counter() - began, time.process_time(), flush=True)
    import os
    if os.environ.get("BENCH_END_AT_SHOWN"):
        os._exit(0)
    import PySide6.QtCore
    qt = "yes" if "Qt" in vars(PySide6.QtCore) else "no"  # see annotator/ui/lazy_qt.py
    heavy = ("pydantic", "annotator.core.models", "annotator.store.project",
             "annotator.store.journal", "annotator.formats", "annotator.review",
             "annotator.assist", "annotator.services", "spacy", "datasets",
             "annotator.ui.review_mode", "annotator.ui.export_dialog",
             "annotator.ui.import_dialog", "annotator.ui.schema_editor")
    loaded = sorted({n.split(".")[0] if n.startswith("pydantic") else n
                     for n in sys.modules if n.startswith(heavy)})
    print("MODULES", len(sys.modules), qt, " ".join(loaded), flush=True)
    from PySide6.QtCore import QEventLoop
    from annotator.ui.main_window import MainWindow
    windows = [w for w in self.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    if len(windows) != 1:
        raise SystemExit(f"expected one shown MainWindow, found {self.topLevelWidgets()}")
    window = windows[0]
    # getattr: older commits (compared in alternating runs) open the project before show.
    while getattr(window, "loading", False):
        self.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    self.processEvents()  # the list and the document painted
    if window.project is None or window.current is None or window.document_list is None:
        raise SystemExit("the project did not load")
    print("USABLE", time.perf_counter() - began, flush=True)
    if os.environ.get("BENCH_END_AT_USABLE"):
        os._exit(0)
    return 0

class PatchExec:
    # The app imports PySide6 itself, after its command line, as `annotator gui` does:
    # importing it here first would make PySide6's import hook read the source of each of
    # the command line's modules (looking for "PySide6", for its snake_case feature). This
    # finder patches exec into the module as it loads.
    def find_spec(self, name, path, target=None):
        if name != "PySide6.QtWidgets":
            return None
        sys.meta_path.remove(self)
        from importlib.machinery import PathFinder
        spec = PathFinder.find_spec(name, path)
        load = spec.loader.exec_module
        def exec_module(module):
            load(module)
            module.QApplication.exec = shown
        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, PatchExec())
from annotator.cli import main
sys.exit(main(sys.argv[1:]))
"""


class ChildRun(NamedTuple):
    wall: float  # seconds from spawning the child to its SHOWN line
    inner: float  # the child's own figure: seconds from its first line to SHOWN
    cpu: float  # the child's CPU seconds (user and system) until SHOWN, its start included
    modules: str  # the app's module report ("" for the bare window)
    usable: float  # wall seconds until usable: the same as shown for the bare window


def run_child(code: str, args: list[str], env: dict[str, str]) -> ChildRun:
    began = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert child.stdout is not None
    wall = inner = cpu = usable = 0.0
    modules = ""
    for line in child.stdout:
        if line.startswith("SHOWN"):
            wall = usable = time.perf_counter() - began
            inner, cpu = (float(figure) for figure in line.split()[1:3])
        elif line.startswith("MODULES"):
            modules = line[len("MODULES ") :].strip()
        elif line.startswith("USABLE"):
            usable = time.perf_counter() - began
    _, stderr = child.communicate(timeout=120)
    if child.returncode != 0 or not wall:
        raise SystemExit(f"bench_startup: child failed ({child.returncode}): {stderr[-2000:]}")
    return ChildRun(wall, inner, cpu, modules, usable)


def child_env(work: Path) -> dict[str, str]:
    """The children's environment: offscreen, settings and bytecode under ``work``."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(work / "config"),
        "XDG_DATA_HOME": str(work / "data"),
        "XDG_CACHE_HOME": str(work / "cache"),
        "PYTHONPATH": str(REPO),
        "PYTHONPYCACHEPREFIX": str(work / "pycache"),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def count_instructions(
    code: str, args: list[str], env: dict[str, str], until: str = "SHOWN"
) -> int:
    """Instructions the child executes until its window is shown, or usable with
    ``until="USABLE"`` (callgrind's "I refs")."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("bench_startup: --instructions needs valgrind (apt-get install valgrind)")
    result = subprocess.run(
        [
            valgrind,
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-c",
            code,
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**env, f"BENCH_END_AT_{until}": "1"},
        timeout=600,
    )
    refs = [line for line in result.stderr.splitlines() if "I   refs:" in line]
    if until not in result.stdout or not refs:
        raise SystemExit(f"bench_startup: callgrind run failed: {result.stderr[-2000:]}")
    return int(refs[-1].rsplit(":", 1)[1].replace(",", ""))


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(prog="bench_startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count instructions under callgrind: each child's until shown, and the "
        "app's until usable (project open, first document painted)",
    )
    args = parser.parse_args(argv)
    counted: list[Result] = []
    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    try:
        project = work / "sample"
        shutil.copytree(REPO / "resources" / "sample", project)
        env = child_env(work)
        app_args = ["gui", str(project), "--annotator", "bench"]
        # One of each first: the file system cache warm for both.
        run_child(BARE, [], env)
        run_child(APP, app_args, env)
        bare_runs: list[ChildRun] = []
        app_runs: list[ChildRun] = []
        for _ in range(args.runs):
            bare_runs.append(run_child(BARE, [], env))
            app_runs.append(run_child(APP, app_args, env))
        if args.instructions:
            bare_count = count_instructions(BARE, [], env)
            ours_count = count_instructions(APP, app_args, env)
            usable_count = count_instructions(APP, app_args, env, until="USABLE")
            print(
                f"instructions until shown (callgrind): bare {bare_count / 1e6:,.1f}M, "
                f"annotator {ours_count / 1e6:,.1f}M, {ours_count / bare_count:.3f}x; "
                f"until usable: annotator {usable_count / 1e6:,.1f}M, "
                f"{usable_count / bare_count:.3f}x",
                flush=True,
            )
            counted.append(
                Result(
                    "  instructions until shown (callgrind)",
                    ours_count / 1e6,
                    "bare",
                    bare_count / 1e6,
                    unit="M",
                )
            )
            counted.append(
                Result(
                    "  instructions until usable (callgrind)",
                    usable_count / 1e6,
                    "bare, until shown",
                    bare_count / 1e6,
                    unit="M",
                )
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def median(runs: list[ChildRun], figure: str) -> float:
        return statistics.median(getattr(run, figure) for run in runs)

    bare, ours = median(bare_runs, "wall"), median(app_runs, "wall")
    bare_inner, ours_inner = median(bare_runs, "inner"), median(app_runs, "inner")
    bare_cpu, ours_cpu = median(bare_runs, "cpu"), median(app_runs, "cpu")
    usable = median(app_runs, "usable")
    count, qt_namespace, loaded = [*app_runs[-1].modules.split(" ", 2), "", ""][:3]
    print(
        f"start-up to a shown window (median of {args.runs}, fresh interpreters): "
        f"bare QMainWindow {bare * 1000:.0f} ms "
        f"(after interpreter start {bare_inner * 1000:.0f} ms), "
        f"annotator {ours * 1000:.0f} ms (after interpreter start {ours_inner * 1000:.0f} ms)"
    )
    print(
        f"CPU time until shown: bare {bare_cpu * 1000:.0f} ms, annotator {ours_cpu * 1000:.0f} ms, "
        f"{ours_cpu / bare_cpu:.2f}x"
    )
    print(
        f"usable window (project open, list filled, first document painted): "
        f"{usable * 1000:.0f} ms, {usable / bare:.2f}x the bare window"
    )
    print(
        f"modules loaded by the app at start-up: {count}; heavy ones: {loaded or 'none'}; "
        f"Qt's enum namespace set up by the first frame: {qt_namespace}"
    )
    return [
        Result("start-up to a shown window", ours, "bare QApplication + QMainWindow", bare, 1.5),
        Result(
            "  the same after interpreter start",
            ours_inner,
            "bare, after interpreter start",
            bare_inner,
        ),
        Result("  CPU time until shown", ours_cpu, "bare, CPU time", bare_cpu),
        Result(
            "  usable window (project open, first document painted)",
            usable,
            "bare QApplication + QMainWindow",
            bare,
        ),
        *counted,
    ]


if __name__ == "__main__":
    main()
