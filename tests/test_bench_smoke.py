"""Every bench module runs on tiny sizes (figures are the bench's business, not the tests')."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import Result, format_table
from bench.__main__ import module_names

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", module_names())
def test_bench_module_runs_small(name: str) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--small", "--only", name],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout.rsplit("\n\n", 1)[-1]
    assert table.startswith("bench") and f"\n{name} " in table


def test_bench_store_returns_rows_with_baselines(tmp_path: Path) -> None:
    from bench import bench_store

    rows = bench_store.main(["--small", "--keep", str(tmp_path)])
    assert {row.what for row in rows} >= {"open to entries()", "open + labels index (window)"}
    assert all(row.measured >= 0 and row.baseline for row in rows)
    # The generated project is a valid one: every label fits its text.
    from annotator.services import check_project
    from annotator.store import Project

    with Project.open(tmp_path / "project-300") as project:
        assert len(project) == 300
        assert check_project(project) == []
        annotation = project.annotations("bench", writable=False).get("news-000001")
        assert annotation is not None and len(annotation.spans) == 20
        assert len(annotation.relations) == 5


def test_the_table_shows_ratio_and_verdict() -> None:
    table = format_table(
        [
            ("bench_x", Result("fast", 0.001, "floor", 0.002, budget=1.5)),
            ("bench_x", Result("slow", 3.0, "floor", 1.0, budget=1.5)),
            ("bench_x", Result("info", 5e-5)),
        ]
    )
    lines = table.splitlines()
    assert len(lines) == 5
    assert "0.50x" in lines[2] and lines[2].endswith("ok")
    assert "3.00x" in lines[3] and lines[3].endswith("OVER BUDGET")
    assert "50 µs" in lines[4]
