"""``auto`` precision: fp32 without bf16 hardware (no probe), bf16 only when the probe
measured it faster by the margin, the answer kept per machine; fp32 keys unchanged."""

from __future__ import annotations

import json

import pytest
import torch

from latentlib.training import precision_rule
from latentlib.training.precision_rule import MARGIN, choose_precision, cpu_flags, resolve

CPUINFO = "processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse2 avx2 avx512f {extra}\n"


class Probe:
    def __init__(self, fp32: float, bf16: float) -> None:
        self.times, self.calls = (fp32, bf16), 0

    def __call__(self, device):
        self.calls += 1
        return self.times


def test_flags_are_read_from_cpuinfo():
    assert {"avx512f", "amx_bf16"} <= cpu_flags(CPUINFO.format(extra="amx_bf16"))
    assert cpu_flags("no flags here") == set()


def test_a_cpu_without_bf16_instructions_gets_fp32_without_a_probe(tmp_path):
    probe = Probe(1.0, 0.1)  # would say bf16 is 10x faster: never asked
    choice = choose_precision("cpu", probe=probe, store=tmp_path / "p.json", flags={"avx2", "avx512f"})
    assert choice["precision"] == "fp32" and "none of avx512_bf16, amx_bf16" in choice["reason"]
    assert probe.calls == 0 and not (tmp_path / "p.json").exists()


@pytest.mark.parametrize("fp32, bf16, expected", [(2.0, 1.0, "bf16"), (1.0, 1.0, "fp32"),
                                                   (1.0, 1.0 / (MARGIN - 0.01), "fp32"), (1.0, 2.0, "fp32")])
def test_bf16_is_chosen_only_when_measured_faster_by_the_margin(tmp_path, fp32, bf16, expected):
    probe = Probe(fp32, bf16)
    choice = choose_precision("cpu", probe=probe, store=tmp_path / "p.json", flags={"amx_bf16"})
    assert choice["precision"] == expected and probe.calls == 1
    assert choice["speedup"] == pytest.approx(fp32 / bf16, abs=1e-3)


def test_the_measurement_is_kept_per_machine(tmp_path, monkeypatch):
    store = tmp_path / "p.json"
    first = Probe(2.0, 1.0)
    assert choose_precision("cpu", probe=first, store=store, flags={"avx512_bf16"})["precision"] == "bf16"
    again = Probe(1.0, 2.0)  # another answer: not asked, the kept one stands
    assert choose_precision("cpu", probe=again, store=store, flags={"avx512_bf16"})["precision"] == "bf16"
    assert again.calls == 0 and len(json.loads(store.read_text())) == 1
    monkeypatch.setattr(precision_rule, "machine_key", lambda device: "another machine")
    assert choose_precision("cpu", probe=again, store=store, flags={"avx512_bf16"})["precision"] == "fp32"
    assert again.calls == 1 and len(json.loads(store.read_text())) == 2


def test_an_unreadable_store_is_measured_again(tmp_path):
    store = tmp_path / "p.json"
    store.write_text("not json")
    probe = Probe(2.0, 1.0)
    assert choose_precision("cpu", probe=probe, store=store, flags={"amx_bf16"})["precision"] == "bf16"
    assert probe.calls == 1


def test_a_gpu_without_bf16_gets_fp32(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a, **k: "Old GPU")
    capable, why = precision_rule.bf16_capable(torch.device("cuda"))
    assert not capable and "Old GPU has no bf16" in why


def test_resolve_leaves_explicit_precisions_alone():
    assert resolve("fp32") == "fp32" and resolve("bf16") == "bf16"


def test_the_probe_times_both_precisions():
    fp32, bf16 = precision_rule.probe_step_seconds(torch.device("cpu"), batch=8, steps=1, rounds=1)
    assert fp32 > 0 and bf16 > 0


def test_fp32_fit_keys_do_not_depend_on_the_rule():
    """The rule only picks a value: an fp32 fit's key is the key it always had."""
    import numpy as np

    from latentlib.images.models import MLPConfig
    from latentlib.training.autoencoder import ReconstructionTrainer, TrainConfig
    from latentlib.training.fit import fit_key

    trainer = ReconstructionTrainer(MLPConfig(input_shape=(1, 4, 4), hidden_sizes=(8,)), TrainConfig(),
                                    np.zeros((4, 1, 4, 4), dtype=np.float32))
    assert fit_key(trainer, resolve("fp32")) == fit_key(trainer) != fit_key(trainer, "bf16")
