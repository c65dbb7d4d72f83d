"""Output piped into a reader that stops early (`| head`) is not an error."""

from __future__ import annotations

import subprocess
import sys


def test_output_cut_short_by_the_reader_exits_quietly() -> None:
    command = subprocess.Popen(
        [sys.executable, "-m", "annotator.cli", "schema"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert command.stdout is not None and command.stderr is not None
    # Hang up before the program writes, as `head` does once it has its lines.
    command.stdout.close()
    stderr = command.stderr.read().decode()
    assert command.wait(timeout=60) == 0, stderr
    assert stderr == ""
