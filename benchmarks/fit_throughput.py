"""Training throughput: latentlib's tensor-on-device fit loop vs the conventional loop.

The conventional loop is what a torchvision tutorial writes: a Dataset that turns each
uint8 image into a PIL image and then into a tensor with ``transforms.ToTensor``, and a
shuffling ``DataLoader``. Both train the same MLP autoencoder (Adam + MSE) on the same
images with the same batch size; the script prints samples/s of each and their ratio,
as medians over alternating repeats measured in one run.

    python benchmarks/fit_throughput.py [--repeats 5] [--epochs 2] [--n 8000] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from _common import add_options, result, save
from latentlib.training.autoencoder import TrainConfig, fit_autoencoder
from latentlib.images.mnist import load_mnist
from latentlib.images.models import MLPConfig


class PilDigits(Dataset):
    """Per-item access as in ``torchvision.datasets.MNIST.__getitem__``."""

    def __init__(self, images: np.ndarray) -> None:
        self.images = images
        self.transform = transforms.ToTensor()

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.transform(Image.fromarray(self.images[index], mode="L"))


def conventional_fit(model_config: MLPConfig, train: TrainConfig, images: np.ndarray) -> float:
    torch.manual_seed(train.seed)
    model = model_config.build()
    optimizer = torch.optim.Adam(model.parameters(), lr=train.learning_rate)
    loader = DataLoader(PilDigits(images), batch_size=train.batch_size, shuffle=True)
    start = time.perf_counter()
    for _ in range(train.epochs):
        for batch in loader:
            reconstruction, _ = model(batch)
            loss = nn.functional.mse_loss(reconstruction, batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--n", type=int, default=8000)
    parser.add_argument("--embedding-size", type=int, default=8)
    add_options(parser)
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.epochs, args.n = 3, 1, 4000

    data = load_mnist(n_train=args.n)
    images_uint8 = np.rint(data.x_train[:, 0] * 255).astype(np.uint8)
    model_config = MLPConfig(input_shape=(1, 28, 28), hidden_sizes=(512, 256), embedding_size=args.embedding_size)
    train = TrainConfig(epochs=args.epochs, batch_size=256)
    samples = args.n * args.epochs

    ours, conventional = [], []
    for _ in range(args.repeats):  # alternate, so drift on a shared machine hits both
        fit = fit_autoencoder(model_config, train, data.x_train, device="cpu", use_cache=False, progress=False)
        ours.append(samples / fit.seconds)
        conventional.append(samples / conventional_fit(model_config, train, images_uint8))

    ours_median, conventional_median = statistics.median(ours), statistics.median(conventional)
    print(f"data: {data.source}, {args.n} images, {args.epochs} epochs x {args.repeats} repeats, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"latentlib fit loop (tensor on device):  median {ours_median:9.0f} samples/s")
    print(f"DataLoader + ToTensor (per-item PIL):    median {conventional_median:9.0f} samples/s")
    print(f"ratio ours / conventional: {ours_median / conventional_median:.2f}x")
    save(args.json, [result("MLP fit loop, tensor on device", ours_median, "samples/s",
                            f"/ DataLoader + ToTensor: {ours_median / conventional_median:.2f}x")])


if __name__ == "__main__":
    main()
