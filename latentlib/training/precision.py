"""The fit engine's arithmetic: ``fp32`` (the default, unchanged) or ``bf16`` autocast.

One context, :func:`autocast`, used by the engine around each training epoch and by the
encoders around encoding, so that no trainer or model knows about precision. The study
configs import :func:`check_precision` from here, and configs must load without torch
(data loaders use them): torch is imported only when :func:`autocast` runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from latentlib.validation import check_choice

if TYPE_CHECKING:
    import torch

PRECISIONS = ("fp32", "bf16")


def check_precision(value: Any) -> None:
    check_choice("precision", value, PRECISIONS)


@contextlib.contextmanager
def autocast(device: str | torch.device, precision: str = "fp32") -> Iterator[None]:
    """Run the block in ``precision``: ``fp32`` changes nothing; ``bf16`` is
    ``torch.autocast`` on the device's type (cuda, cpu) with bfloat16, while weights,
    gradients and optimiser state stay fp32.

    The engine opens it once around a whole epoch, so it drops autocast's cached bf16
    copies of the weights after every optimiser step: kept, they would feed the next
    forward pass the weights from before the update. With that, backward and the step
    inside the block give the same bits as the usual recipe, autocast around forward and
    loss only (``tests/test_precision.py``).
    """
    check_precision(precision)
    if precision == "fp32":
        yield
        return
    import torch
    from torch.optim.optimizer import register_optimizer_step_post_hook

    hook = register_optimizer_step_post_hook(lambda *_: torch.clear_autocast_cache())
    try:
        with torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16):
            yield
    finally:
        hook.remove()
