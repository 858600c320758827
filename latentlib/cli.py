"""``latentlib``: run studies, build the book, fetch data."""

from __future__ import annotations

import argparse
import ast
import sys
import time
from pathlib import Path
from typing import Any

from latentlib.config import PROFILES
from latentlib import studies


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
    parameters = {key: parse_value(value) for key, value in (pairs or [])}
    if parameters.get("precision") == "auto":  # measured on this machine (training.precision_rule)
        from latentlib.training.precision_rule import resolve

        parameters["precision"] = resolve("auto", parameters.get("device") or "auto")
    return parameters


def fold_parameters(argv: list[str]) -> list[str]:
    """Rewrite each ``-p KEY VALUE`` as ``-p KEY=VALUE`` before argparse sees it, so a
    value such as ``-1e-3`` is never mistaken for an option."""
    out, index = [], 0
    while index < len(argv):
        token = argv[index]
        if token in ("-p", "--parameter") and index + 2 < len(argv) and "=" not in argv[index + 1]:
            out += [token, f"{argv[index + 1]}={argv[index + 2]}"]
            index += 3
            continue
        out.append(token)
        index += 1
    return out


def _jobs(text: str) -> int | str:
    """``--jobs``: a positive number or ``auto``."""
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"--jobs must be a positive number or 'auto', got {text!r}")
    return value


def _pair(text: str) -> list[str]:
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"expected KEY VALUE (or KEY=VALUE), got {text!r}")
    return [key, value]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="latentlib", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="execute study notebooks (into _build/run/, or the reference build)")
    run.add_argument("names", nargs="+", help="study names or numbers (01_embedding_size, 01), or 'all'")
    run.add_argument("--profile", default="quick", choices=PROFILES)
    run.add_argument("-p", "--parameter", type=_pair, action="append", metavar="KEY VALUE",
                     help="override one parameter, e.g. -p epochs 5 -p embedding_sizes '[2, 4]' "
                          "-p learning_rate -1e-3")
    run.add_argument("--jobs", type=_jobs, default="auto",
                     help="chapters executed at once: a number, or 'auto' (default: one per core, "
                          "each kernel with cores/jobs threads; chapters sharing fits run in turn)")
    run.add_argument("--reference", action="store_true",
                     help="maintainers: update the committed reference build (book/executed, book/results)")
    run.add_argument("--output-dir", type=Path, help="executed notebooks (default _build/run/executed)")
    run.add_argument("--results-dir", type=Path, help="result records (default _build/run/results)")
    run.add_argument("--quiet", action="store_true", help="no progress lines (notices and errors still show)")
    run.add_argument("--allow-dirty", action="store_true",
                     help="write the reference build from uncommitted code (the chapter says so)")
    run.add_argument("--scheduler", metavar="ADDRESS|local:N",
                     help="first train the chapters' fits into the fit store there: 'local:N' (a dask "
                          "LocalCluster of N workers), a dask scheduler address (tcp://host:8786), "
                          "'processes:N' or 'serial'; the chapters then load them")

    book = commands.add_parser("book", help="run every study, then build the book")
    book.add_argument("--profile", default="quick", choices=PROFILES)
    book.add_argument("--jobs", type=_jobs, default="auto", help="chapters executed at once (see run --jobs)")
    book.add_argument("--no-run", action="store_true", help="only build from the committed executed chapters")
    book.add_argument("--no-fetch", action="store_true",
                      help="run on the data already here (default: first fetch every dataset, as `latentlib data all`)")
    book.add_argument("--reference", action="store_true",
                      help="maintainers: run into the committed reference build, then build it")
    book.add_argument("--path-output", type=Path, help="build folder (default ./_build)")
    book.add_argument("--quiet", action="store_true", help="no progress lines (notices and errors still show)")
    book.add_argument("--allow-dirty", action="store_true",
                      help="write the reference build from uncommitted code (the chapters say so)")

    check = commands.add_parser("check", help="re-run chapters in the smoke profile and compare them with "
                                             "the committed smoke reference (exit 1 if not reproduced)")
    check.add_argument("names", nargs="*", default=["all"], help="study names or numbers (default: all)")
    check.add_argument("--update", action="store_true",
                       help="maintainers: replace the committed smoke reference with this run's records")
    check.add_argument("--quiet", action="store_true", help="no progress lines")

    data = commands.add_parser("data", help="fetch (or check) a dataset under the data root")
    data.add_argument("dataset", help="a dataset (mnist, fashion_mnist, drumkits, ...; a wrong name lists them), "
                      "or 'all' of them")
    data.add_argument("--root", type=Path, help="data root (default $LATENTLIB_DATA or ~/.cache/latentlib)")

    sweep = commands.add_parser("sweep", help="train every fit of a grid of parameters and seeds into the fit "
                                              "store (here or on a dask cluster), then optionally run the chapters")
    sweep.add_argument("names", nargs="*", help="study names or numbers (or 'all'); default: the file's studies")
    sweep.add_argument("--file", type=Path, help="a YAML sweep: studies, profile, seeds, parameters (name -> list)")
    sweep.add_argument("--profile", choices=PROFILES, help="default: the file's, else quick")
    sweep.add_argument("-p", "--parameter", type=_pair, action="append", metavar="KEY VALUES",
                       help="one axis of the grid: a list of settings, e.g. -p epochs '[5, 10]' "
                            "-p embedding_sizes '[4, 8]' (a tuple parameter's number is a 1-tuple)")
    sweep.add_argument("--seeds", type=int, nargs="+", help="seeds: a study's 'seeds', or swept as its 'seed'")
    sweep.add_argument("--scheduler", default="serial", metavar="ADDRESS|local:N",
                       help="where the fits run: serial (default), processes:N, local:N, tcp://host:port")
    sweep.add_argument("--run", action="store_true",
                       help="then execute each chapter of the grid into _build/run/ (fits load from the store)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar (the summary still prints)")

    commands.add_parser("list", help="list the studies and their parameters")
    return parser


def _short_warning(message: Warning | str, category: type, filename: str, lineno: int,
                   line: str | None = None) -> str:
    return f"warning: {message}\n"  # the message says it all: no source line on the terminal


def main(argv: list[str] | None = None) -> int:
    import warnings

    warnings.formatwarning = _short_warning
    args = build_parser().parse_args(fold_parameters(list(sys.argv[1:] if argv is None else argv)))
    from latentlib.book import runner

    started = float(int(time.time()))  # records carry whole seconds: compare what this command wrote
    try:
        if args.command == "run":
            names = runner.study_names() if args.names == ["all"] else args.names
            root = runner.require_root()
            executed, results = runner.run_dirs(root, reference=args.reference)
            # a target that cannot take the run is refused before anything trains (--scheduler included)
            runner.check_targets(root, args.output_dir or executed, args.results_dir or results)
            if args.scheduler:
                chapters = [runner.find_notebook(name, root).stem for name in names]
                one_point = {k: [v] for k, v in _parameters(args.parameter).items() if v is not None}
                _warm_store(chapters, args.profile, one_point, None, args.scheduler, args.quiet)
            executions, failed = runner.run_notebooks(
                names, jobs=args.jobs, profile=args.profile, parameters=_parameters(args.parameter),
                output_dir=args.output_dir or executed, results_dir=args.results_dir or results,
                keep_going=len(names) > 1, progress=not args.quiet, allow_dirty=args.allow_dirty,
            )
            for done in executions:
                print(f"{done.study}: {done.output} ({done.records} records, {done.wall_seconds:.1f} s)")
            if args.reference and args.results_dir is None and executions:  # the results page follows them
                from latentlib.book.report import write_results_page
                from latentlib.book.summary import write_summary_page

                print(f"results page: {write_results_page()}\nwhat reproduced: {write_summary_page()}")
            elif executions:
                _reproduction(root, args.results_dir or results, since=started)
            if failed:
                return _summarise_failures(failed)
        elif args.command == "book":
            failed = []
            root = runner.require_root()
            executed, results = runner.run_dirs(root, reference=args.reference)
            if not args.no_run:
                if not args.no_fetch:  # the reference's data first (chapter 04's sounds: 1.38 GB, once)
                    _fetch_all()
                _, failed = runner.run_notebooks(runner.study_names(), jobs=args.jobs, profile=args.profile,
                                                 keep_going=True, progress=not args.quiet,
                                                 allow_dirty=args.allow_dirty, output_dir=executed,
                                                 results_dir=results)
            from latentlib.book.report import results_page, write_results_page
            from latentlib.book.summary import summary_page, write_summary_page

            if args.reference or args.no_run:
                write_results_page()  # the paper-vs-ours page is generated from the records
                write_summary_page()  # and so is "What reproduced"
                html = runner.build_book(path_output=args.path_output)
            else:  # the user's run: its chapters, its results page and how it compares with the reference
                pages = {"paper_vs_ours": results_page(results), "what_reproduced": summary_page(results)}
                report = _reproduction(root, results, since=started)
                if report is not None:
                    pages["reproduction"] = report
                staged = runner.stage_run_book(root, executed.parent, pages=pages)
                html = runner.build_book(root, path_output=args.path_output, source=staged)
            print(f"book: {html / 'index.html'}")
            if failed:
                code = _summarise_failures(failed)
                # a chapter skipped for want of data keeps its committed build: the book is whole
                return code if any(not f.missing_data for f in failed) else 0
        elif args.command == "check":
            return _check(args)
        elif args.command == "data":
            if args.dataset != "all":
                from latentlib.studies import fetch

                print(f"{args.dataset}: {fetch(args.dataset, args.root)}", flush=True)
            elif _fetch_all(args.root):
                return 1
        elif args.command == "sweep":
            return _sweep(args)
        elif args.command == "list":

            for study in runner.study_names():
                config = studies.config_class(study) if study in studies.names() else None
                params = ", ".join(config.parameter_names()) if config else "(no config)"
                print(f"{study}: {params}")
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _fetch_all(root: Path | None = None) -> list[str]:
    """Fetch every dataset a study declares (what is here already is only checked); print
    one line each and return the names that could not be had (each line says how)."""
    from latentlib.studies import fetch

    failed = []
    for name in studies.fetchers():
        try:
            print(f"{name}: {fetch(name, root)}", flush=True)
        except (FileNotFoundError, OSError, RuntimeError) as error:
            failed.append(name)
            print(f"{name}: not available\n  {str(error).splitlines()[0]}", file=sys.stderr)
    if failed:
        print(f"not available: {', '.join(failed)} (each message above says how to get it)", file=sys.stderr)
    return failed


def _warm_store(studies: list[str], profile: str, grid: dict[str, Any], seeds: list[int] | None,
                scheduler: str, quiet: bool) -> Any:
    """Plan the fits of ``studies`` over ``grid`` and train them into the fit store."""
    from latentlib.training.executor import parse_scheduler
    from latentlib.training.sweep import plan_sweep, warm

    parse_scheduler(scheduler)  # a bad --scheduler fails before any data loads
    if not isinstance(grid, dict):
        raise ValueError("parameters must map names to lists of settings")
    plan = plan_sweep(studies, profile=profile, grid=grid, seeds=seeds)
    for reason in plan.not_planned.values():
        print(f"note: {reason}", file=sys.stderr)
    if not plan.specs:
        print("no fits to train ahead: the chapters train their own", file=sys.stderr)
        return plan, None
    report = warm(plan.specs, scheduler, progress=not quiet)
    print(report.table(), flush=True)
    if report.failed:
        print(f"warning: {len(report.failed)} fits failed (see above); a chapter that needs one trains it itself",
              file=sys.stderr)
    return plan, report


def _sweep(args: argparse.Namespace) -> int:
    from latentlib.book import runner
    from latentlib.training.sweep import read_grid

    spec = read_grid(args.file) if args.file else {}
    root = runner.require_root()
    names = args.names or spec.get("studies") or []
    if not names:
        raise ValueError("name the studies to sweep (latentlib sweep 02 ...) or list them under 'studies' "
                         "in the --file")
    names = runner.study_names(root) if names == ["all"] else names
    # YAML reads a bare 02 as the int 2
    studies = [runner.find_notebook(f"{name:02d}" if isinstance(name, int) else str(name), root).stem
               for name in names]
    profile = args.profile or spec.get("profile", "quick")
    grid = {**spec.get("parameters", {}), **_parameters(args.parameter)}
    seeds = args.seeds or spec.get("seeds")
    plan, report = _warm_store(studies, profile, grid, seeds, args.scheduler, args.quiet)
    if args.run:
        executed, results = runner.run_dirs(root)
        for study, parameters in plan.runs:
            values = {k: list(v) if isinstance(v, tuple) else v for k, v in parameters.items()}
            done = runner.run_notebook(study, profile=profile, parameters=values, root=root,
                                       output_dir=executed, results_dir=results, progress=not args.quiet)
            print(f"{done.study} ({' '.join(f'{k}={v}' for k, v in parameters.items()) or 'profile values'}): "
                  f"{done.output} ({done.records} records, {done.wall_seconds:.1f} s)")
    return 1 if report is not None and report.failed else 0


def _reproduction(root: Path, results: Path, since: float | None = None) -> str | None:
    """Compare a run's records with the committed reference; print the summary and write
    the report beside the run. Returns the report's Markdown (None without a reference)."""
    from latentlib.book import runner

    reference = root / runner.RESULTS
    if not reference.is_dir():
        return None
    from latentlib.book.reproduce import compare_runs

    report = compare_runs(results, reference, since=since)
    text = report.markdown()
    path = results.parent / "reproduction.md"
    path.write_text(text)
    counts = ", ".join(f"{n} {verdict}" for verdict, n in report.summary.items())
    print(f"reproduction against the committed reference: {counts or 'nothing to compare'}; "
          f"{report.status} (report: {path})")
    return text


def _check(args: argparse.Namespace) -> int:
    """``latentlib check``: the chapters in ``smoke``, compared with ``tests/reference/smoke``."""
    import shutil

    from latentlib.book import runner
    from latentlib.book.reproduce import compare_runs

    root = runner.require_root()
    names = runner.study_names() if args.names == ["all"] else args.names
    check_dir = root / "_build" / "check"
    shutil.rmtree(check_dir, ignore_errors=True)  # only this run's records are compared
    executions, failed = runner.run_notebooks(names, profile="smoke", output_dir=check_dir / "executed",
                                              results_dir=check_dir / "results", keep_going=True,
                                              progress=not args.quiet)
    if failed:
        return _summarise_failures(failed)
    reference = root / runner.SMOKE_REFERENCE
    if args.update:
        for done in executions:
            target = reference / done.study
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(check_dir / "results" / done.study, target)
        print(f"smoke reference updated: {', '.join(d.study for d in executions)} -> {runner.SMOKE_REFERENCE}")
        return 0
    report = compare_runs(check_dir / "results", reference)
    (check_dir / "reproduction.md").write_text(report.markdown())
    counts = ", ".join(f"{n} {verdict}" for verdict, n in report.summary.items() if n)
    print(f"check against the smoke reference: {counts or 'nothing to compare'}; {report.status} "
          f"(report: {check_dir / 'reproduction.md'})")
    return 0 if report.ok and report.compared else 1


def _summarise_failures(failed: list[Any]) -> int:
    """Name each chapter that did not run and what would make it run; exit code 1."""
    print("\nchapters not re-executed (their committed build is kept):", file=sys.stderr)
    for error in failed:
        if error.missing_data:
            print(f"  {error.study}: its data is not available here; `latentlib data all` fetches every "
                  f"dataset that can be had ({error.evalue.splitlines()[0]})", file=sys.stderr)
        else:
            print(f"  {error.study}: {error.ename} in cell {error.cell}: {error.evalue.splitlines()[0]} "
                  f"(the failed notebook: {error.notebook})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
