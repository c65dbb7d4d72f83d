"""Run every bench/bench_*.py module and print one summary table.

    python -m bench [--small] [--only NAME[,NAME]]

``--small`` passes each module its ``SMALL_ARGS`` (tiny sizes, for the smoke test);
a module without ``SMALL_ARGS`` gets ``--small``.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import time
from pathlib import Path
from typing import Any

from bench import Result, format_table

BENCH_DIR = Path(__file__).resolve().parent


def module_names() -> list[str]:
    return sorted(path.stem for path in BENCH_DIR.glob("bench_*.py"))


def run_module(name: str, small: bool) -> tuple[list[Result], float]:
    module = importlib.import_module(f"bench.{name}")
    args: list[str] = list(getattr(module, "SMALL_ARGS", ["--small"])) if small else []
    main: Any = module.main
    started = time.perf_counter()
    if inspect.signature(main).parameters:
        returned = main(args)
    else:
        # Modules that read sys.argv themselves.
        saved = sys.argv
        sys.argv = [f"bench/{name}.py", *args]
        try:
            returned = main()
        finally:
            sys.argv = saved
    elapsed = time.perf_counter() - started
    if isinstance(returned, int) and returned != 0:
        raise SystemExit(f"bench: {name} exited with status {returned}")
    rows = (
        [row for row in returned if isinstance(row, Result)] if isinstance(returned, list) else []
    )
    return rows, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--small", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--only", help="comma-separated module names, e.g. bench_store")
    args = parser.parse_args(argv)
    names = module_names()
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")}
        unknown = wanted - set(names)
        if unknown:
            parser.error(f"no such bench module: {', '.join(sorted(unknown))}")
        names = [name for name in names if name in wanted]
    table: list[tuple[str, Result]] = []
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        rows, elapsed = run_module(name, args.small)
        table.extend((name, row) for row in rows)
        if not rows:
            table.append((name, Result("ran (figures printed above)", elapsed)))
    print("\n" + format_table(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
