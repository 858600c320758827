"""Several chapters at once (`--jobs`): how many, with how many threads, in which chains."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from latentlib.book import runner, schedule
from latentlib.book.runner import ChapterFailed

GB = 1024**3


def test_auto_runs_one_chapter_per_core_within_memory_and_the_cap():
    assert schedule.resolve_jobs("auto", 7, cores=2, memory=24 * GB) == 2
    assert schedule.resolve_jobs("auto", 1, cores=2, memory=24 * GB) == 1  # one chapter: nothing to share
    assert schedule.resolve_jobs("auto", 7, cores=16, memory=128 * GB) == schedule.MAX_AUTO_JOBS
    assert schedule.resolve_jobs("auto", 7, cores=16, memory=7 * GB) == 2  # 3 GB a kernel
    assert schedule.resolve_jobs("auto", 7, cores=1, memory=1 * GB) == 1
    assert schedule.resolve_jobs(3, 7) == 3


@pytest.mark.parametrize("bad", [0, -1, "two", 1.5, True])
def test_a_bad_jobs_value_is_named_with_the_fix(bad):
    with pytest.raises(ValueError, match="jobs .*a positive number of chapters to run at once, or 'auto'"):
        schedule.resolve_jobs(bad, 7)


def test_threads_share_the_cores():
    assert schedule.threads_per_chapter(2, cores=2) == 1
    assert schedule.threads_per_chapter(4, cores=16) == 4
    assert schedule.threads_per_chapter(3, cores=2) == 1


def test_chapters_sharing_a_fit_run_in_one_chain_in_chapter_order():
    names = ["01", "02", "03", "04", "05"]
    costs = {"01": 100, "02": 500, "03": 60, "04": 100, "05": 600}
    # 01-02 share a fit and 02-03 another: 01, 02, 03 form one chain (660 s), longest first
    chains = schedule.chains(names, [{"02", "01"}, {"03", "02"}], costs.get)
    assert chains == [["01", "02", "03"], ["05"], ["04"]]
    assert schedule.chains(names, [], costs.get) == [["05"], ["02"], ["01"], ["04"], ["03"]]


def test_shared_fits_from_plans_and_unplannable_chapters_share_nothing():
    plans = {"01": ["a", "b"], "02": ["b", "c"], "03": ["c"], "04": ["d"]}

    def plan(name):
        if name == "05":
            raise ValueError("trains its own fits")
        return plans[name]

    shared = schedule.shared_fits(["01", "02", "03", "04", "05"], plan)
    assert sorted(map(sorted, shared)) == [["01", "02"], ["02", "03"]]


def test_reference_seconds_come_from_the_execution_stamps(tmp_path: Path):
    (tmp_path / "02_x" / "quick").mkdir(parents=True)
    (tmp_path / "02_x" / "quick" / "_execution.json").write_text('{"wall_seconds": 42.5}')
    (tmp_path / "03_y" / "quick").mkdir(parents=True)
    (tmp_path / "03_y" / "quick" / "_execution.json").write_text("not json")
    assert schedule.reference_seconds(tmp_path, "quick") == {"02_x": 42.5}


def test_a_chapter_failure_crosses_a_process_boundary():
    error = ChapterFailed("01_x", cell=3, ename="ValueError", evalue="bad", notebook=Path("f.ipynb"))
    again = pickle.loads(pickle.dumps(error))
    assert (again.study, again.cell, again.ename, again.evalue, again.notebook) == \
        ("01_x", 3, "ValueError", "bad", Path("f.ipynb"))
    assert str(again) == str(error)


def test_a_chain_sets_its_threads_and_stops_at_a_failure_unless_told_to_go_on(monkeypatch):
    seen = []

    def fake_run_one(call, position):
        seen.append((call["name"], os.environ.get("OMP_NUM_THREADS")))
        if call["name"] == "02":
            raise ChapterFailed("02", cell=1, ename="E", evalue="v", notebook=Path("n"))
        return call["name"]

    monkeypatch.setattr(runner, "_run_one", fake_run_one)
    monkeypatch.setenv("OMP_NUM_THREADS", "")  # set but empty counts as unset
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    chain = [({"name": name}, "") for name in ("01", "02", "03")]
    results = runner._run_chain(chain, False, 1)
    assert [name for name, _ in results] == ["01", "02"] and isinstance(results[1][1], ChapterFailed)
    assert seen == [("01", "1"), ("02", "1")]
    assert [name for name, _ in runner._run_chain(chain, True, None)] == ["01", "02", "03"]


def test_parallel_chapters_come_back_in_chapter_order(root, monkeypatch):
    monkeypatch.setattr(runner, "check_targets", lambda *args, **kwargs: None)
    monkeypatch.setattr(runner, "_train_planned_fits", lambda studies, *args, **kwargs: {})
    monkeypatch.setattr(runner, "_run_one", lambda call, position: call["name"])
    # threads stand in for processes, so the monkeypatched chapter runs in this interpreter
    from concurrent.futures import ThreadPoolExecutor
    monkeypatch.setattr(runner, "ProcessPoolExecutor", ThreadPoolExecutor)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the chains leave a set value alone: nothing leaks
    done, failed = runner.run_notebooks(["03", "01", "02"], root=root, profile="smoke", jobs=2)
    assert done == ["03_pca_vs_autoencoder", "01_embedding_size", "02_triplet_vs_mse"] and not failed
