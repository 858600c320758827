import json

from latentlib.images.config import EmbeddingSizeConfig
from latentlib.results import load_records, make_record, read_records, record_path, write_record


def record(config, name="mlp-d2-seed0", silhouette=0.5):
    return make_record(config=config, run={"name": name, "embedding_size": 2, "seed": 0},
                       metrics={"silhouette": silhouette}, timings={"fit_seconds": 1.0},
                       data={"source": "test", "n_train": 1, "n_test": 1, "split": "s"}, device="cpu")


def test_record_holds_config_provenance_and_metrics(tmp_path):
    config = EmbeddingSizeConfig.from_profile("smoke")
    payload = record(config)
    for key in ("study", "profile", "variant", "run", "config", "metrics", "timings", "data", "device",
                "environment", "created"):
        assert key in payload
    assert payload["config"]["epochs"] == config.epochs
    assert {"latentlib", "torch", "commit", "execution_id"} <= set(payload["environment"])
    path = write_record(payload, tmp_path)
    assert path == record_path(payload, tmp_path) and path.parent.name == "smoke"
    assert json.loads(path.read_text())["metrics"] == {"silhouette": 0.5}
    assert not list(tmp_path.rglob("*.tmp*"))  # the temporary file was renamed away


def test_rewrite_replaces_and_load_flattens(tmp_path):
    config = EmbeddingSizeConfig.from_profile("smoke")
    write_record(record(config, silhouette=0.1), tmp_path)
    write_record(record(config, silhouette=0.2), tmp_path)
    write_record(record(config, name="mlp-d4-seed0"), tmp_path)
    write_record(record(EmbeddingSizeConfig.from_profile("quick")), tmp_path)
    assert len(read_records("01_embedding_size", tmp_path)) == 3
    frame = load_records("01_embedding_size", profile="smoke", directory=tmp_path)
    assert sorted(frame["run.name"]) == ["mlp-d2-seed0", "mlp-d4-seed0"]
    assert frame.set_index("run.name").loc["mlp-d2-seed0", "metrics.silhouette"] == 0.2
