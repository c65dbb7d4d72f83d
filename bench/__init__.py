"""Benchmarks: each bench/bench_*.py module has ``main(argv)``; ``python -m bench`` runs them all.

Every figure is compared with a baseline measured in the same run (this machine is
shared and noisy), and with the budget in docs/architecture.md where there is one. A module's
``main`` may return a list of :class:`Result` rows for the summary table; modules that
only print are listed with their running time.
"""

from __future__ import annotations

from dataclasses import dataclass

# Source of high_water() for the child processes that measure peak memory (their code
# is a string run with `python -c`).
HIGH_WATER_SOURCE = """
def high_water():
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise SystemExit("no /proc/self/status")
"""


@dataclass
class Result:
    what: str
    measured: float
    baseline_what: str = ""
    baseline: float | None = None
    # The largest allowed measured/baseline ratio (docs/architecture.md), or None for information only.
    budget: float | None = None
    unit: str = "s"

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline <= 0:
            return None
        return self.measured / self.baseline

    @property
    def verdict(self) -> str:
        if self.budget is None or self.ratio is None:
            return ""
        return "ok" if self.ratio <= self.budget else "OVER BUDGET"


def show(value: float, unit: str) -> str:
    if unit == "s":
        if value < 1e-3:
            return f"{value * 1e6:.0f} µs"
        if value < 1:
            return f"{value * 1e3:.2f} ms"
        return f"{value:.2f} s"
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:,.3g} {unit}"


def format_table(rows: list[tuple[str, Result]]) -> str:
    header = ("bench", "what", "measured", "baseline", "ratio", "budget", "")
    lines = [header]
    for module, row in rows:
        lines.append(
            (
                module,
                row.what,
                show(row.measured, row.unit),
                f"{show(row.baseline, row.unit)} ({row.baseline_what})"
                if row.baseline is not None
                else "",
                f"{row.ratio:.2f}x" if row.ratio is not None else "",
                f"<= {row.budget:g}x" if row.budget is not None else "",
                row.verdict,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for number, line in enumerate(lines):
        out.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if number == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(text.rstrip() for text in out)
