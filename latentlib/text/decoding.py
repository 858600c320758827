"""Using a trained text autoencoder: encode, reconstruct, score reconstructions, interpolate."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from latentlib.training.precision import autocast
from latentlib.text.models import TextAutoencoder, make_batch
from latentlib.text.tokens import Noise, Vocabulary


def _device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def _chunks(n: int, size: int) -> list[slice]:
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


@torch.no_grad()
def encode_ids(model: TextAutoencoder, ids: Sequence[Sequence[int]], *, vocab: Vocabulary,
               batch_size: int = 512, precision: str = "fp32") -> np.ndarray:
    """Codes z (n x latent) of clean sentences given as id lists (the encoder's output),
    computed in ``precision`` (``"bf16"``: autocast) and returned as float32."""
    model.eval()
    parts = []
    for part in _chunks(len(ids), batch_size):
        batch = make_batch(ids[part], vocab=vocab).to(_device(model))
        with autocast(_device(model), precision):
            parts.append(model.encode(batch.source, batch.source_lengths).float().cpu())
    return torch.cat(parts).numpy()


@torch.no_grad()
def decode_codes(model: TextAutoencoder, z: np.ndarray, *, vocab: Vocabulary, max_length: int,
                 batch_size: int = 512) -> list[list[int]]:
    """Greedy decoding of codes: one id list per code, cut before ``<eos>``."""
    model.eval()
    out: list[list[int]] = []
    for part in _chunks(len(z), batch_size):
        codes = torch.as_tensor(np.asarray(z[part]), dtype=torch.float32, device=_device(model))
        for row in model.greedy(codes, max_length=max_length, bos=vocab.bos, eos=vocab.eos).cpu().tolist():
            out.append(row[: row.index(vocab.eos)] if vocab.eos in row else row)
    return out


def reconstruct_ids(model: TextAutoencoder, ids: Sequence[Sequence[int]], *, vocab: Vocabulary,
                    noise: Noise | None = None, seed: int = 0,
                    extra_length: int = 5) -> tuple[list[list[int]], list[list[int]]]:
    """(encoder inputs, greedy reconstructions) of ``ids``, optionally through ``noise``."""
    rng = np.random.default_rng(seed)
    inputs = [noise(s, vocab=vocab, rng=rng) if noise is not None and not noise.is_clean else list(s)
              for s in ids]
    inputs = [s if s else [vocab.unk] for s in inputs]
    z = encode_ids(model, inputs, vocab=vocab)
    max_length = max(len(s) for s in ids) + extra_length
    return inputs, decode_codes(model, z, vocab=vocab, max_length=max_length)


def token_accuracy(references: Sequence[Sequence[int]], outputs: Sequence[Sequence[int]],
                   *, eos: int = 2, unk: int = 3) -> dict[str, float]:
    """How well greedy outputs reproduce the references, position by position.

    ``token_acc``: fraction of reference positions (words plus the final ``<eos>``) where
    the output has the same token (an ``<unk>`` output for an ``<unk>`` word counts as a
    hit); ``token_acc_known``: the same over positions whose reference is not ``<unk>``
    only (a small vocabulary cannot inflate it with easy ``<unk>`` hits); ``exact``:
    fraction of sentences reproduced exactly (same ids, same length).
    """
    if len(references) != len(outputs) or not len(references):
        raise ValueError(f"need as many outputs as references (>0), got {len(outputs)} and {len(references)}")
    hits = total = known_hits = known = exact = 0
    for reference, output in zip(references, outputs):
        ref, out = [*reference, eos], [*output, eos]
        for position, word in enumerate(ref):
            hit = position < len(out) and out[position] == word
            hits += hit
            if word != unk:
                known_hits += hit
                known += 1
        total += len(ref)
        exact += list(reference) == list(output)
    return {"token_acc": hits / total, "token_acc_known": known_hits / known if known else float("nan"),
            "exact": exact / len(references)}


def positional_baseline(ids: Sequence[Sequence[int]], *, eos: int = 2) -> list[int]:
    """The sentence a model without any code would output under :func:`token_accuracy`:
    at each position, the token (or ``<eos>``) most frequent there among ``ids`` (the
    training split), cut at the first position where ``<eos>`` wins."""
    if not len(ids):
        raise ValueError("ids must hold at least one sentence")
    out: list[int] = []
    for position in range(max(len(s) for s in ids) + 1):
        column = [s[position] if position < len(s) else eos for s in ids if position <= len(s)]
        values, counts = np.unique(column, return_counts=True)
        token = int(values[np.argmax(counts)])  # ties go to the smallest id
        if token == eos:
            break
        out.append(token)
    return out


def interpolate(model: TextAutoencoder, first: Sequence[int], second: Sequence[int], *,
                vocab: Vocabulary, steps: int = 6, max_length: int = 25) -> list[tuple[float, str]]:
    """Decode z = (1 - t) z_first + t z_second for ``steps`` evenly spaced t in [0, 1]."""
    z = encode_ids(model, [list(first), list(second)], vocab=vocab)
    weights = np.linspace(0.0, 1.0, steps)
    codes = np.stack([(1 - t) * z[0] + t * z[1] for t in weights]).astype(np.float32)
    decoded = decode_codes(model, codes, vocab=vocab, max_length=max_length)
    return [(float(t), vocab.decode(ids)) for t, ids in zip(weights, decoded)]
