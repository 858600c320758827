"""``latentlib``: run studies, build the book, fetch data."""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path
from typing import Any

from latentlib.config import PROFILES, StudyConfig


def parse_value(text: str) -> Any:
    """``-p`` values: Python/JSON literals (``10``, ``1e-3``, ``[2, 4]``), else the string."""
    lowered = {"true": True, "false": False, "null": None, "none": None}
    if text.lower() in lowered:
        return lowered[text.lower()]
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _parameters(pairs: list[list[str]] | None) -> dict[str, Any]:
    return {key: parse_value(value) for key, value in (pairs or [])}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="latentlib", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="execute study notebooks into book/executed/")
    run.add_argument("names", nargs="+", help="study names or numbers (01_embedding_size, 01), or 'all'")
    run.add_argument("--profile", default="quick", choices=PROFILES)
    run.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("KEY", "VALUE"),
                     help="override one parameter, e.g. -p epochs 5 -p embedding_sizes '[2, 4]'")
    run.add_argument("--jobs", type=int, default=1, help="notebooks executed in parallel")
    run.add_argument("--output-dir", type=Path, help="executed notebooks (default book/executed)")
    run.add_argument("--results-dir", type=Path, help="result records (default book/results)")

    book = commands.add_parser("book", help="run every study, then build the book")
    book.add_argument("--profile", default="quick", choices=PROFILES)
    book.add_argument("--jobs", type=int, default=1)
    book.add_argument("--no-run", action="store_true", help="only build from the executed chapters")
    book.add_argument("--path-output", type=Path, help="build folder (default ./_build)")

    from latentlib.data import FETCHERS

    data = commands.add_parser("data", help="fetch (or check) a dataset under the data root")
    data.add_argument("dataset", choices=sorted(FETCHERS))
    data.add_argument("--root", type=Path, help="data root (default $LATENTLIB_DATA or ~/.cache/latentlib)")

    commands.add_parser("list", help="list the studies and their parameters")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from latentlib import runner

    try:
        if args.command == "run":
            names = runner.study_names() if args.names == ["all"] else args.names
            executions = runner.run_notebooks(
                names, jobs=args.jobs, profile=args.profile, parameters=_parameters(args.parameter),
                output_dir=args.output_dir, results_dir=args.results_dir,
            )
            for done in executions:
                print(f"{done.study}: {done.output} ({done.records} records, {done.wall_seconds:.1f} s)")
            if args.results_dir is None:  # new records in the book: its results page follows them
                from latentlib.report import write_results_page

                print(f"results page: {write_results_page()}")
        elif args.command == "book":
            if not args.no_run:
                runner.run_notebooks(runner.study_names(), jobs=args.jobs, profile=args.profile)
            from latentlib.report import write_results_page

            write_results_page()  # the paper-vs-ours page is generated from the records
            html = runner.build_book(path_output=args.path_output)
            print(f"book: {html / 'index.html'}")
        elif args.command == "data":
            from latentlib.data import FETCHERS

            print(FETCHERS[args.dataset](args.root))
        elif args.command == "list":
            for study in runner.study_names():
                config = StudyConfig.registry.get(study)
                params = ", ".join(config.parameter_names()) if config else "(no config)"
                print(f"{study}: {params}")
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
