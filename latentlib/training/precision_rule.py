"""``auto`` precision: bf16 only where this machine's CPU or GPU makes a training step faster.

The rule, in order:

1. a device without bf16 arithmetic gets ``fp32`` without measuring: a CPU without
   AVX512-BF16 or AMX-BF16 (there bf16 autocast ran at 0.23-0.37x the fp32 speed), a GPU
   that torch says has no bf16;
2. otherwise a short probe times the chapters' MLP training step (784-512-256-16, Adam,
   batch 256) in fp32 and under bf16 autocast, alternating, and ``bf16`` is chosen when
   it ran at least :data:`MARGIN` times the fp32 speed (so noise never flips the choice);
3. the probe's answer is kept per machine (CPU model and flags, or GPU name, torch
   version, threads) in ``<data root>/precision.json``, so it runs once per machine.

The committed reference build stays fp32 (its numbers are bitwise reproducible there, and
an fp32 fit keeps its cache key); ``auto`` is for a user's own runs::

    python -m latentlib.training.precision_rule          # prints fp32 or bf16, and why
    latentlib run 01 -p precision "$(python -m latentlib.training.precision_rule --quiet)"
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: bf16 must run at least this many times the fp32 speed to be chosen
MARGIN = 1.1
CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")

Probe = Callable[[Any], tuple[float, float]]


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``; empty elsewhere)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def cpu_model(cpuinfo: str | None = None) -> str:
    try:
        text = cpuinfo if cpuinfo is not None else Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or platform.machine()


def bf16_capable(device: Any, flags: set[str] | None = None) -> tuple[bool, str]:
    """Whether ``device`` has bf16 arithmetic at all, and what says so."""
    import torch

    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return True, f"{torch.cuda.get_device_name(device)} supports bf16"
        return False, f"{torch.cuda.get_device_name(device)} has no bf16"
    if device.type == "cpu":
        found = sorted((flags if flags is not None else cpu_flags()) & set(CPU_BF16_FLAGS))
        if found:
            return True, f"the CPU has {', '.join(found)}"
        return False, f"the CPU has none of {', '.join(CPU_BF16_FLAGS)} (bf16 autocast is slower there)"
    return False, f"no bf16 rule for {device.type}: fp32"


def machine_key(device: Any) -> str:
    """What the probe's answer depends on: the chip, its bf16 flags, torch, the threads."""
    import torch

    if device.type == "cuda":
        chip = torch.cuda.get_device_name(device)
    else:
        chip = f"{cpu_model()} [{' '.join(sorted(cpu_flags() & set(CPU_BF16_FLAGS)))}]"
    return f"{device.type}: {chip}; torch {torch.__version__}; {torch.get_num_threads()} threads"


def probe_step_seconds(device: Any, *, batch: int = 256, steps: int = 5, rounds: int = 3) -> tuple[float, float]:
    """Median seconds of one Adam step of the chapters' MLP, (fp32, bf16 autocast)."""
    import torch
    from torch import nn

    from latentlib.training.precision import autocast

    generator = torch.Generator().manual_seed(0)
    sizes = [784, 512, 256, 16, 256, 512, 784]
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    model = nn.Sequential(*layers[:-1], nn.Sigmoid()).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(batch, 784, generator=generator).to(device)

    def run(precision: str) -> float:
        start = time.perf_counter()
        with autocast(device, precision):
            for _ in range(steps):
                loss = nn.functional.mse_loss(model(x).float(), x)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return (time.perf_counter() - start) / steps

    run("fp32"), run("bf16")  # warm up both
    times: dict[str, list[float]] = {"fp32": [], "bf16": []}
    for _ in range(rounds):
        for precision in times:
            times[precision].append(run(precision))
    return statistics.median(times["fp32"]), statistics.median(times["bf16"])


def _store_path() -> Path:
    from latentlib.data.sources import data_root

    return data_root() / "precision.json"


def choose_precision(device: Any = "auto", *, probe: Probe = probe_step_seconds, store: Path | None = None,
                     flags: set[str] | None = None) -> dict[str, Any]:
    """The precision ``auto`` stands for on ``device``: ``{"precision", "reason", ...}``
    (with the probe's ``fp32_ms``, ``bf16_ms`` and ``speedup`` when it ran or was kept)."""
    from latentlib.training.fit import resolve_device

    device = resolve_device(device)
    capable, why = bf16_capable(device, flags)
    if not capable:
        return {"precision": "fp32", "reason": why}
    store = store or _store_path()
    key = machine_key(device)
    try:
        known = json.loads(store.read_text())
    except (OSError, ValueError):
        known = {}
    if not isinstance(known, dict):
        known = {}
    if key not in known:
        fp32, bf16 = probe(device)
        speedup = fp32 / bf16 if bf16 > 0 else 0.0
        known[key] = {"fp32_ms": round(fp32 * 1e3, 3), "bf16_ms": round(bf16 * 1e3, 3),
                      "speedup": round(speedup, 3), "measured": time.strftime("%Y-%m-%d")}
        try:
            store.parent.mkdir(parents=True, exist_ok=True)
            store.write_text(json.dumps(known, indent=1, sort_keys=True))
        except OSError:
            pass  # a read-only data root: measure again next time
    entry = known[key]
    chosen = "bf16" if entry["speedup"] >= MARGIN else "fp32"
    reason = (f"{why}; a training step ran {entry['speedup']:.2f}x as fast in bf16 "
              f"({entry['fp32_ms']} ms fp32, {entry['bf16_ms']} ms bf16; bf16 needs >= {MARGIN}x)")
    return {"precision": chosen, "reason": reason, **entry}


def resolve(value: Any, device: Any = "auto") -> Any:
    """``value`` itself, or for ``"auto"`` the precision chosen on ``device`` (what a
    command line does with ``-p precision auto`` before building the study's config)."""
    return choose_precision(device)["precision"] if value == "auto" else value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="print the precision 'auto' picks on this machine")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quiet", action="store_true", help="print only fp32 or bf16")
    args = parser.parse_args(argv)
    choice = choose_precision(args.device)
    print(choice["precision"] if args.quiet else f"{choice['precision']}: {choice['reason']}")


if __name__ == "__main__":
    main()
