"""A run writes to any target: another file system (staged there, then renamed), and a
target that cannot take the run (read-only, not a folder, full) is refused before the
run starts, naming the folder. The kernel alone gets the run's environment."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from latentlib.book import runner
from latentlib.book.provenance import EXECUTION_ENV, RESULTS_ENV, RunContext
from latentlib.book.runner import TargetRefused, check_target, publish, run_notebook


def other_file_system(tmp_path: Path) -> Path:
    """A folder on another file system than ``tmp_path`` (/dev/shm), or skip."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        pytest.skip("no writable /dev/shm here: the cross-device case needs a second file system")
    if shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("/dev/shm is on the same file system as the temporary folder here")
    return Path(tempfile.mkdtemp(prefix="latentlib-target-", dir=shm))


@pytest.fixture
def shm_target(tmp_path):
    target = other_file_system(tmp_path)
    yield target
    shutil.rmtree(target, ignore_errors=True)


def run_variables() -> dict[str, str]:
    """The variables a run could leave in this process (other libraries set their own on
    import: sklearn sets KMP_INIT_AT_FORK)."""
    return {k: v for k, v in os.environ.items() if k.startswith(("LATENTLIB_", "OMP_", "MKL_"))}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- publishing: staged in the scratch folder, replaced on the target's file system ---

def staged_run(folder: Path) -> tuple[Path, Path]:
    records = folder / "results"
    records.mkdir(parents=True)
    (records / "mlp-d2-seed0.json").write_text('{"new": 1}')
    chapter = folder / "01_embedding_size.ipynb"
    chapter.write_text('{"new": "chapter"}')
    return chapter, records


def committed(target: Path) -> tuple[Path, Path]:
    chapter = target / "executed" / "01_embedding_size.ipynb"
    records = target / "results" / "01_embedding_size" / "smoke"
    records.mkdir(parents=True)
    chapter.parent.mkdir(parents=True)
    chapter.write_text('{"committed": "chapter"}')
    (records / "mlp-d2-seed0.json").write_text('{"committed": 1}')
    (records / "mlp-d4-seed0.json").write_text('{"committed": 2}')  # not in the new run: goes with the variant
    return chapter, records


def test_publish_replaces_chapter_and_records_on_another_file_system(tmp_path, shm_target):
    staged_chapter, staged_records = staged_run(tmp_path / "scratch")
    chapter, records = committed(shm_target)
    assert staged_chapter.stat().st_dev != chapter.stat().st_dev  # a rename cannot cross this
    publish({staged_records: records, staged_chapter: chapter})
    assert chapter.read_text() == '{"new": "chapter"}'
    assert snapshot(records) == {"mlp-d2-seed0.json": b'{"new": 1}'}
    leftovers = [p.name for p in shm_target.rglob(".*")]
    assert not leftovers  # no .incoming or .previous copy is left beside the targets


def test_publish_into_targets_that_do_not_exist_yet(tmp_path, shm_target):
    staged_chapter, staged_records = staged_run(tmp_path / "scratch")
    chapter = shm_target / "new" / "executed" / "01_embedding_size.ipynb"
    records = shm_target / "new" / "results" / "01_embedding_size" / "smoke"
    publish({staged_records: records, staged_chapter: chapter})
    assert chapter.read_text() == '{"new": "chapter"}' and (records / "mlp-d2-seed0.json").exists()


def test_a_failed_copy_replaces_nothing(tmp_path, monkeypatch):
    staged_chapter, staged_records = staged_run(tmp_path / "scratch")
    chapter, records = committed(tmp_path / "target")
    before = snapshot(tmp_path / "target")

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copy2", full_disk)  # the records copy, the chapter's fails
    with pytest.raises(OSError, match="No space left"):
        publish({staged_records: records, staged_chapter: chapter})
    assert snapshot(tmp_path / "target") == before
    assert not [p for p in (tmp_path / "target").rglob(".*")]  # the copies made so far are removed


# --- refused before the run: read-only, not a folder, no space ---

def test_a_target_under_a_file_is_refused_naming_it(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(TargetRefused, match=f"the result records to {blocker}/results: {blocker} exists and "
                                            "is not a folder"):
        check_target(blocker / "results", "the result records")


def test_a_target_without_free_space_is_refused_naming_it(tmp_path, monkeypatch):
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=2**20))
    target = tmp_path / "executed"
    with pytest.raises(TargetRefused, match=rf"{target} \(its nearest existing parent {tmp_path}\): its file "
                                            r"system has 1.0 MiB free, a run needs at least 64 MiB"):
        check_target(target, "the executed chapter")
    check_target(target, "the executed chapter", min_free=2**19)  # enough for a smaller need
    assert not list(tmp_path.iterdir())  # the check leaves nothing behind


def check_as_nobody(target: Path) -> str:
    """``check_target(target)`` in a child process that runs as the user nobody (root
    writes anywhere): the refusal's message, or "" when the target was accepted."""
    import pwd

    if os.geteuid() != 0:  # an ordinary user already: permissions apply here
        try:
            check_target(target, "the executed chapter")
        except TargetRefused as error:
            return str(error)
        return ""
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody' to drop root privileges to")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop to nobody, check, report through the pipe
        code = 0
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            try:
                check_target(target, "the executed chapter")
                message = ""
            except TargetRefused as error:
                message = str(error)
            os.write(write, json.dumps({"message": message}).encode())
        except PermissionError as error:  # no CAP_SETUID in this container
            os.write(write, json.dumps({"setuid": str(error)}).encode())
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        answer = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0 and answer, "the unprivileged child failed"
    reply = json.loads(answer)
    if "setuid" in reply:
        pytest.skip(f"cannot drop root privileges here ({reply['setuid']})")
    return reply["message"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_read_only_target_is_refused_for_an_ordinary_user():
    base = Path(tempfile.mkdtemp(prefix="latentlib-readonly-", dir="/tmp"))
    try:
        base.chmod(0o755)  # readable by everyone, writable by its owner only
        locked = base / "executed"
        locked.mkdir()
        locked.chmod(0o555)
        open_for_all = base / "open"
        open_for_all.mkdir()
        open_for_all.chmod(0o777)
        message = check_as_nobody(locked)
        assert message.startswith(f"cannot write the executed chapter to {locked}: Permission denied"), message
        message = check_as_nobody(locked / "new" / "deeper")
        assert f"{locked}/new/deeper (its nearest existing parent {locked})" in message, message
        assert check_as_nobody(open_for_all) == ""  # a writable one passes, and keeps no probe file
        assert not list(open_for_all.iterdir())
    finally:
        for folder in (base, *base.iterdir()):
            folder.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_run_refuses_an_unwritable_target_before_anything_runs(root, tmp_path, capsys):
    from latentlib.cli import main

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    scratch_before = set((root / "_build" / "runs").glob("01_embedding_size-*"))
    with pytest.raises(TargetRefused, match=f"cannot write the executed chapter to {blocker}/x"):
        run_notebook("01", profile="smoke", root=root, output_dir=blocker / "x", results_dir=tmp_path / "r")
    assert main(["run", "01", "--profile", "smoke", "--output-dir", str(tmp_path / "out"),
                 "--results-dir", str(blocker / "results")]) == 2
    assert f"error: cannot write the result records to {blocker}/results" in capsys.readouterr().err
    assert set((root / "_build" / "runs").glob("01_embedding_size-*")) == scratch_before  # nothing started
    assert not (tmp_path / "out").exists() and not (tmp_path / "r").exists()


# --- the kernel's environment, and only the kernel's ---

def test_the_kernel_gets_the_context_and_wait_policy_and_this_process_keeps_its_environment(tmp_path,
                                                                                             monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    before = run_variables()
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("profile = None", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import os\nprint({k: os.environ.get(k) for k in "
                                  f"('OMP_WAIT_POLICY', {RESULTS_ENV!r}, {EXECUTION_ENV!r})}})"),
    ])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, tmp_path / "in.ipynb")
    context = RunContext(results_dir=tmp_path / "staged", execution_id="abc123", events=None)
    env = runner.kernel_environment(context)
    runner.execute_in_kernel(tmp_path / "in.ipynb", tmp_path / "out.ipynb", parameters={"profile": "smoke"},
                             cwd=tmp_path, env=env, progress=False)
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    seen = eval(executed.cells[-1].outputs[0]["text"])  # the dict the kernel printed
    assert seen == {"OMP_WAIT_POLICY": "PASSIVE", RESULTS_ENV: str(tmp_path / "staged"), EXECUTION_ENV: "abc123"}
    assert run_variables() == before  # no OMP_WAIT_POLICY, no run context left in this process
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert runner.kernel_environment(context)["OMP_WAIT_POLICY"] == "ACTIVE"  # a user's choice is kept


@pytest.mark.slow
def test_a_run_into_another_file_system(root, shm_target, monkeypatch):
    """`latentlib run 01 --output-dir X --results-dir Y` with X and Y on a tmpfs: it used to
    run every cell, then die with "Invalid cross-device link", leaving X empty."""
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    before = run_variables()
    executed, results = shm_target / "executed", shm_target / "results"
    done = run_notebook("01", profile="smoke", parameters={"embedding_sizes": [2], "seeds": [0], "epochs": 1},
                        root=root, output_dir=executed, results_dir=results, progress=False)
    assert done.output == executed / "01_embedding_size.ipynb" and done.output.exists()
    stamp = nbformat.read(done.output, as_version=4).metadata["latentlib"]
    assert stamp["omp_wait_policy"] == "PASSIVE"  # the kernel ran with it ...
    assert run_variables() == before  # ... and this process's environment is as it was
    variant = results / "01_embedding_size" / stamp["variant"]
    assert sorted(p.name for p in variant.iterdir()) == ["_execution.json", "mlp-d2-seed0.json"]
    assert not [p for p in shm_target.rglob(".*")]
