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
