"""Training a text autoencoder: the DAAE (or plain AE) trainer of the fit engine.

Each epoch visits a seeded permutation of the sentences; the encoder reads them through
the training noise, the decoder reconstructs them clean, and, for the DAAE, a
discriminator on the codes plays the adversarial game of :mod:`latentlib.text.models`.
Seeding, the epoch loop, progress and the fit cache are :func:`latentlib.training.fit.run_fit`'s.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from latentlib.training.autoencoder import TrainConfig
from latentlib.training.fit import FitResult, Trainer, batch_indices, run_fit
from latentlib.text.config import LR_SCHEDULES
from latentlib.text.decoding import reconstruct_ids, token_accuracy
from latentlib.text.models import Discriminator, TextAEConfig, TextAutoencoder, adversarial_losses, make_batch
from latentlib.text.tokens import Noise, Vocabulary
from latentlib.validation import check_choice, check_non_negative_float, check_probability, fail

#: the curves of a text fit, one value per epoch (``adv`` and ``disc`` are NaN without an
#: adversary, ``heldout_known_acc`` without monitor sentences)
CURVES = ("rec", "token_acc", "adv", "disc", "heldout_known_acc")


@dataclass(frozen=True)
class TextTrainConfig(TrainConfig):
    """Optimisation of one fit: Adam (recipe betas 0.5, 0.999) over epochs, batch size,
    learning rate and seed as every fit, plus the adversarial weight and the noise."""

    epochs: int = 30
    batch_size: int = 64
    adversarial_weight: float = 10.0
    noise: Noise = Noise(drop=0.3)
    # probability of hiding each word the decoder is fed (teacher forcing) behind <unk>:
    # a decoder that cannot lean on its previous words must read them from the code
    decoder_drop: float = 0.0
    # "constant" (the recipe's), or "cosine": the rate falls along a half cosine to 0 over
    # the fit's steps, so that its last epochs settle rather than swing around the optimum
    lr_schedule: str = "constant"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        check_non_negative_float("adversarial_weight", self.adversarial_weight, "0 turns the adversary off")
        check_probability("decoder_drop", self.decoder_drop)
        if not isinstance(self.noise, Noise):
            fail("noise", self.noise, "a latentlib.text.tokens.Noise")

    @property
    def adversarial(self) -> bool:
        return self.adversarial_weight > 0


def corpus_fingerprint(ids: Sequence[Sequence[int]], vocab: Vocabulary) -> str:
    """Content hash of a corpus of id lists and its vocabulary (part of the fit's cache key)."""
    digest = hashlib.sha1(json.dumps([list(map(int, s)) for s in ids]).encode())
    digest.update("\n".join(vocab.tokens).encode())
    return digest.hexdigest()


def hide_words(decoder_input: torch.Tensor, p: float, rng: np.random.Generator, *,
               vocab: Vocabulary) -> torch.Tensor:
    """Replace each word of the decoder's input (not ``<bos>``, not padding) by ``<unk>``
    with probability ``p``."""
    hit = torch.from_numpy(rng.random(tuple(decoder_input.shape)) < p)
    hit &= (decoder_input != vocab.pad) & (decoder_input != vocab.bos)
    return torch.where(hit, torch.full_like(decoder_input, vocab.unk), decoder_input)


class TextTrainer(Trainer):
    """Adam on ``reconstruction + adversarial_weight * fool-the-discriminator`` (the DAAE)
    or on reconstruction alone (``adversarial_weight=0``: no discriminator is built).

    Curves per epoch: ``rec`` (cross-entropy per token), ``token_acc`` (teacher-forced),
    ``adv`` (the encoder's adversarial loss), ``disc`` (the discriminator's loss) and
    ``heldout_known_acc``: the greedy known-word accuracy of the ``monitor_ids`` sentences
    (held out; scored only, they never steer training) after each epoch, so a run shows
    when its model passes a reconstruction bar and what that cost.
    """

    kind = "text"
    code = (__name__, "latentlib.text.models", "latentlib.text.tokens", "latentlib.text.decoding")

    def __init__(self, model_config: TextAEConfig, train_config: TextTrainConfig,
                 ids: Sequence[Sequence[int]], *, vocab: Vocabulary,
                 monitor_ids: Sequence[Sequence[int]] | None = None) -> None:
        if len(vocab) != model_config.vocab_size:
            raise ValueError(f"model_config.vocab_size={model_config.vocab_size} but the vocabulary "
                             f"has {len(vocab)} tokens; build the config with vocab_size=len(vocab)")
        if not len(ids):
            raise ValueError("ids must hold at least one sentence")
        self.model_config, self.train_config, self.ids, self.vocab = model_config, train_config, ids, vocab
        self.seed, self.epochs = train_config.seed, train_config.epochs
        self.data_hash = corpus_fingerprint(ids, vocab)
        self.monitor_ids = [list(s) for s in monitor_ids] if monitor_ids else []

    def payload(self) -> dict[str, Any]:
        payload = {"model_type": type(self.model_config).__name__, "model": dataclasses.asdict(self.model_config),
                   "train": dataclasses.asdict(self.train_config), "data": self.data_hash}
        if self.monitor_ids:  # the weights do not depend on them, the stored curve does
            payload["monitor"] = corpus_fingerprint(self.monitor_ids, self.vocab)
        return payload

    def build(self) -> dict[str, nn.Module]:
        # the model first, then the discriminator: their initial weights come in this order
        modules: dict[str, nn.Module] = {"model": TextAutoencoder(self.model_config)}
        if self.train_config.adversarial:
            modules["discriminator"] = Discriminator(self.model_config.latent_size,
                                                     self.model_config.discriminator_hidden)
        return modules

    def start(self, modules: dict[str, nn.Module], device: torch.device) -> None:
        self.model, self.discriminator = modules["model"], modules.get("discriminator")
        self.device = device
        betas = (0.5, 0.999)  # the recipe's: a lower beta1 steadies the adversarial game
        lr = self.train_config.learning_rate
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr, betas=betas)
        self.optimizer_d = (torch.optim.Adam(self.discriminator.parameters(), lr=lr, betas=betas)
                            if self.discriminator is not None else None)
        steps = self.epochs * math.ceil(len(self.ids) / self.train_config.batch_size)
        self.schedulers = [torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
                           for optimizer in (self.optimizer, self.optimizer_d)
                           if optimizer is not None and self.train_config.lr_schedule == "cosine"]
        self.generator = torch.Generator().manual_seed(self.train_config.seed)  # sentence order
        self.rng = np.random.default_rng(self.train_config.seed)  # the noise of every batch

    def epoch(self) -> dict[str, float]:
        model, discriminator, vocab, config = self.model, self.discriminator, self.vocab, self.train_config
        model.train()
        sums = dict.fromkeys(CURVES, 0.0)
        tokens = 0
        for index in batch_indices(len(self.ids), config.batch_size, self.generator):
            batch = make_batch([self.ids[i] for i in index.tolist()], vocab=vocab,
                               noise=config.noise, rng=self.rng)
            if config.decoder_drop:
                batch.decoder_input = hide_words(batch.decoder_input, config.decoder_drop, self.rng, vocab=vocab)
            batch = batch.to(self.device)
            logits, target, z = model.masked_logits(batch, pad=vocab.pad)
            rec = F.cross_entropy(logits, target, reduction="sum") / len(index)
            loss = rec
            if discriminator is not None:
                loss_d, loss_g = adversarial_losses(discriminator, z)
                loss = rec + config.adversarial_weight * loss_g
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            if discriminator is not None:
                self.optimizer_d.zero_grad(set_to_none=True)
                loss_d.backward()  # its graph holds only detached codes and prior samples
                self.optimizer_d.step()
                sums["adv"] += float(loss_g.detach()) * len(index)
                sums["disc"] += float(loss_d.detach()) * len(index)
            for scheduler in self.schedulers:
                scheduler.step()
            sums["rec"] += float(rec.detach()) * len(index)  # summed per sentence; per token below
            sums["token_acc"] += float((logits.argmax(-1) == target).sum())
            tokens += len(target)
        adversarial = discriminator is not None
        return {"rec": sums["rec"] / tokens, "token_acc": sums["token_acc"] / tokens,
                "adv": sums["adv"] / len(self.ids) if adversarial else float("nan"),
                "disc": sums["disc"] / len(self.ids) if adversarial else float("nan"),
                "heldout_known_acc": self.monitor() if self.monitor_ids else float("nan")}

    def monitor(self) -> float:
        """Greedy known-word accuracy of the monitor sentences, from their clean codes.
        It draws from no generator the fit uses, so it leaves the training unchanged."""
        _, outputs = reconstruct_ids(self.model, self.monitor_ids, vocab=self.vocab)
        return token_accuracy(self.monitor_ids, outputs, eos=self.vocab.eos, unk=self.vocab.unk)["token_acc_known"]

    def info(self) -> dict[str, Any]:
        return {"n_train": len(self.ids)}

    def postfix(self, values: dict[str, float]) -> dict[str, str]:
        shown = {"rec": f"{values['rec']:.3f}", "acc": f"{values['token_acc']:.3f}"}
        if self.monitor_ids:
            shown["held-out"] = f"{values['heldout_known_acc']:.3f}"
        return shown


def fit_text_autoencoder(model_config: TextAEConfig, train_config: TextTrainConfig,
                         ids: Sequence[Sequence[int]], *, vocab: Vocabulary,
                         device: str | torch.device = "auto", precision: str = "fp32",
                         use_cache: bool = True, progress: bool = True, desc: str | None = None,
                         monitor_ids: Sequence[Sequence[int]] | None = None) -> FitResult:
    """Train a DAAE (``adversarial_weight > 0``) or plain AE on sentences given as id lists
    (or load the cached fit of the same configs, corpus and code).

    Parameters
    ----------
    model_config
        The network; ``vocab_size`` must equal ``len(vocab)``.
    train_config
        Epochs, batch size, learning rate, adversarial weight, noise and seed.
    ids
        The training sentences, one list of ``vocab`` ids each.
    vocab
        Their vocabulary.
    monitor_ids
        Held-out sentences (``vocab`` ids) whose greedy known-word accuracy is recorded
        after every epoch (curve ``heldout_known_acc``; NaN without them).

    Returns
    -------
    FitResult
        ``model`` (the :class:`~latentlib.text.models.TextAutoencoder`), ``curves`` (see
        :data:`CURVES`) and ``modules`` (with ``discriminator`` for the DAAE).
    """
    return run_fit(TextTrainer(model_config, train_config, ids, vocab=vocab, monitor_ids=monitor_ids), device=device,
                   precision=precision, use_cache=use_cache, progress=progress, desc=desc)
