"""Why trained numbers differ between CPU families, shown on one machine.

A CPU family changes which float32 kernels run: PyTorch's own vectorised kernels
(``ATEN_CPU_CAPABILITY``: avx512 on one machine, avx2 on another) and MKL's GEMM code
path (``MKL_CBWR``: MKL picks per CPU unless told). Each setting below trains the same
autoencoder (same seed, same data, one thread) in a fresh process and prints the final
loss and a digest of the weights. Settings that pick different kernels give different
bits; the same setting gives the same bits every time. Pinning both (``MKL_CBWR=AVX2``,
``ATEN_CPU_CAPABILITY=avx2``) is the deterministic mode a second CPU family could share:
whether it reproduces the bits there must be checked on that machine.

    python benchmarks/cross_cpu.py            # prints a Markdown table
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

SETTINGS = {
    "default": {},
    "default (again)": {},
    "ATEN_CPU_CAPABILITY=avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "ATEN_CPU_CAPABILITY=default (no SIMD)": {"ATEN_CPU_CAPABILITY": "default"},
    "MKL_CBWR=AVX2": {"MKL_CBWR": "AVX2"},
    "MKL_CBWR=COMPATIBLE": {"MKL_CBWR": "COMPATIBLE"},
    "MKL_CBWR=AVX2 + ATEN avx2": {"MKL_CBWR": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"},
    "MKL_CBWR=AVX2 + ATEN avx2 (again)": {"MKL_CBWR": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"},
}

CHILD = r"""
import hashlib, json
import numpy as np, torch
torch.set_num_threads(1)
from latentlib.training.autoencoder import TrainConfig
from latentlib.images.models import MLPConfig
from latentlib.images.training import fit_image_autoencoder
from latentlib.evaluation.evaluate import encode, kmeans_labels, score_clusters
from latentlib.images.mnist import load_mnist
data = load_mnist("auto", n_train=2000, n_test=1000)
fit = fit_image_autoencoder(MLPConfig(embedding_size=8), TrainConfig(epochs=3, seed=0), data.x_train,
                            device="cpu", use_cache=False, progress=False)
digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in fit.model.parameters())).hexdigest()[:12]
z = encode(fit.model, data.x_test)
metrics = score_clusters(z, data.y_test, kmeans_labels(z, n_clusters=10, seed=0), seed=0)
print(json.dumps({"loss": fit.history[-1], "weights": digest, "silhouette": metrics["silhouette"],
                  "acc": metrics["acc"], "capability": torch.backends.cpu.get_cpu_capability()}))
"""


def run(extra: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("ATEN_CPU_CAPABILITY", "MKL_CBWR")}
    env.update(extra, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    rows = {name: run(extra) for name, extra in SETTINGS.items()}
    reference = rows["default"]
    print("| setting | kernels | final train loss | weights digest | same bits as default | silhouette | ACC |")
    print("|---|---|---|---|---|---|---|")
    for name, row in rows.items():
        same = "yes" if row["weights"] == reference["weights"] else "no"
        print(f"| {name} | {row['capability']} | {row['loss']:.9f} | {row['weights']} | {same} | "
              f"{row['silhouette']:.6f} | {row['acc']:.4f} |")


if __name__ == "__main__":
    main()
