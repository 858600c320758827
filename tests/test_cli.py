from pathlib import Path

import pytest

from latentlib.cli import main, parse_value


@pytest.mark.parametrize(("text", "value"), [("10", 10), ("1e-3", 1e-3), ("[2, 4]", [2, 4]),
                                             ("npm", "npm"), ("none", None), ("true", True)])
def test_parse_value(text, value):
    assert parse_value(text) == value


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "01", "--profile", "smoke", "-p", "epochs", "0"], "epochs must be a positive int, got 0"),
        (["run", "01", "-p", "embeding_sizes", "[2]"], "did you mean 'embedding_sizes'"),
        (["run", "99_none"], "study must be one of 01_embedding_size"),
    ],
)
def test_bad_input_fails_before_anything_runs(argv, message, capsys, tmp_path, root, monkeypatch):
    monkeypatch.chdir(root)
    code = main(argv + ["--output-dir", str(tmp_path)])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing executed, nothing written


def test_unknown_profile_is_rejected_by_argparse(capsys):
    with pytest.raises(SystemExit):
        main(["run", "01", "--profile", "fast"])
    assert "invalid choice: 'fast'" in capsys.readouterr().err


def test_negative_numbers_and_exponents_are_values_not_options():
    from latentlib.cli import build_parser, fold_parameters

    args = build_parser().parse_args(fold_parameters(
        ["run", "01", "-p", "learning_rate", "-1e-3", "-p", "margin", "-2", "-p", "seed=3"]))
    assert args.parameter == [["learning_rate", "-1e-3"], ["margin", "-2"], ["seed", "3"]]


def test_a_users_run_is_kept_apart_from_the_reference(root):
    from latentlib.book.runner import run_dirs

    executed, results = run_dirs(root)
    assert executed == root / "_build" / "run" / "executed" and results == root / "_build" / "run" / "results"
    assert run_dirs(root, reference=True) == (root / "book" / "executed", root / "book" / "results")


@pytest.mark.slow
def test_a_run_leaves_the_clone_clean(root, monkeypatch):
    import subprocess

    status = lambda: subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True,  # noqa: E731
                                    text=True).stdout
    before = status()
    monkeypatch.chdir(root)
    assert main(["run", "01", "--profile", "smoke", "-p", "epochs", "1", "-p", "embedding_sizes", "[2]",
                 "--quiet"]) == 0
    assert status() == before
    assert (root / "_build" / "run" / "executed" / "01_embedding_size.ipynb").exists()


def test_list_names_every_study_and_its_parameters(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "01_embedding_size: profile, " in out and "07_n2d_whole_set: profile, " in out


def test_data_all_asks_every_declared_fetcher(monkeypatch, capsys, tmp_path):
    from latentlib import studies

    asked = []
    fake = {name: (lambda root, name=name: asked.append(name) or f"{name} here") for name in ("a", "b")}
    monkeypatch.setattr(studies, "fetchers", lambda: fake)
    monkeypatch.setattr(studies, "fetch", lambda name, root=None: fake[name](root))
    assert main(["data", "all", "--root", str(tmp_path)]) == 0
    assert asked == ["a", "b"] and "a: a here" in capsys.readouterr().out


def test_precision_auto_is_measured_before_the_config_is_built(monkeypatch):
    from latentlib import cli
    from latentlib.training import precision_rule

    monkeypatch.setattr(precision_rule, "choose_precision", lambda device: {"precision": "bf16", "reason": "probe"})
    assert cli._parameters([["precision", "auto"], ["epochs", "3"]]) == {"precision": "bf16", "epochs": 3}
    assert cli._parameters([["precision", "fp32"]]) == {"precision": "fp32"}


def test_a_copy_without_git_history_names_its_commit(monkeypatch, tmp_path):
    from latentlib.book.provenance import git_commit

    monkeypatch.setenv("LATENTLIB_COMMIT", "abc1234")
    assert git_commit(str(tmp_path)) == "abc1234"
    monkeypatch.delenv("LATENTLIB_COMMIT")
    assert git_commit(str(tmp_path)) == "unknown"  # no git checkout there


def test_book_fetches_every_dataset_first_unless_told_not_to(monkeypatch, capsys):
    from latentlib import cli, studies
    from latentlib.book import runner

    asked = []
    fake = {"a": lambda root: asked.append("a") or "a here",
            "b": lambda root: (_ for _ in ()).throw(FileNotFoundError("b needs the internet\nmore"))}
    monkeypatch.setattr(studies, "fetchers", lambda: fake)
    monkeypatch.setattr(studies, "fetch", lambda name, root=None: fake[name](root))
    ran = []
    monkeypatch.setattr(runner, "run_notebooks", lambda names, **kwargs: ran.append(asked[:]) or ([], []))
    monkeypatch.setattr(runner, "build_book", lambda *args, **kwargs: Path("site"))
    monkeypatch.setattr(runner, "stage_run_book", lambda *args, **kwargs: "staged")
    monkeypatch.setattr(cli, "_reproduction", lambda *args, **kwargs: None)
    from latentlib.book import report, summary
    monkeypatch.setattr(report, "results_page", lambda results: "")
    monkeypatch.setattr(summary, "summary_page", lambda results: "")
    cli.main(["book", "--quiet"])
    assert ran == [["a"]]  # fetched before any chapter ran; a dataset that cannot be had is said, not fatal
    err = capsys.readouterr().err
    assert "b: not available\n  b needs the internet" in err and "not available: b" in err
    asked.clear()
    ran.clear()
    cli.main(["book", "--quiet", "--no-fetch"])
    assert ran == [[]] and asked == []
