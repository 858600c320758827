"""Run every benchmark with ``--quick`` and print one table of their results;
``--write`` also puts the table into benchmarks/README.md between its markers.

    python benchmarks/run_all.py [--write] [--only triplet limits]   # a few minutes on 2 cores

Each script runs in its own process, with this checkout's ``latentlib`` first on the
path and ``OMP_WAIT_POLICY=PASSIVE`` unless set (as the chapters run). A script that fails (data missing, say) gets a row saying so; the rest still run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
SCRIPTS = ("fit_throughput", "threads", "audio_features", "triplet", "limits", "precision", "stacked")


def run(script: str) -> list[dict[str, str]]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "rows.json"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(HERE.parent),
                                                                       os.environ.get("PYTHONPATH")])))
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as `latentlib run` starts the chapters
        done = subprocess.run([sys.executable, str(HERE / f"{script}.py"), "--quick", "--json", str(out)],
                              cwd=HERE.parent, env=env, capture_output=True, text=True)
        print(done.stdout, end="", flush=True)
        if done.returncode != 0 or not out.exists():
            why = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return [{"measure": "not run", "median": "-", "ratio": why[:120]}]
        return json.loads(out.read_text())


def table(results: dict[str, list[dict[str, str]]]) -> str:
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    wait = os.environ.get("OMP_WAIT_POLICY", "PASSIVE")
    lines = [f"Measured {date.today()} with `python benchmarks/run_all.py --write` (every script with "
             f"`--quick`): {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
             f"OMP_NUM_THREADS={threads}, OMP_WAIT_POLICY={wait}. Medians; the machine may have been shared, so read ratios "
             "measured in one run rather than absolute times.", "",
             "| command | measure | median | ratio |", "|---|---|---|---|"]
    for script, rows in results.items():
        for row in rows:
            lines.append(f"| `python benchmarks/{script}.py --quick` | {row['measure']} | {row['median']} | "
                         f"{row['ratio']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the table in benchmarks/README.md")
    parser.add_argument("--only", nargs="+", choices=SCRIPTS, help="run only these (the table keeps only them)")
    args = parser.parse_args()
    results = {}
    for script in args.only or SCRIPTS:
        print(f"## {script}", flush=True)
        results[script] = run(script)
    text = table(results)
    print(text)
    if args.write:
        readme = README.read_text()
        head, rest = readme.split(START, 1)
        _, tail = rest.split(END, 1)
        README.write_text(f"{head}{START}\n{text}\n{END}{tail}")


if __name__ == "__main__":
    main()
