"""LSTM text autoencoders: the denoising adversarial autoencoder (DAAE) and a plain AE.

After Shen et al. 2020, "Educating text autoencoders: latent representation guidance
via denoising" (their ``AAE`` model trained with word-drop noise): a bidirectional LSTM
reads the (noisy) sentence, its final states map to a deterministic code ``z``; an LSTM
decoder, teacher-forced on the clean sentence, gets ``z`` projected and added to the
word embedding at every step. A discriminator on ``z`` learns to tell codes from
samples of the Gaussian prior, and the encoder is trained to fool it with weight
lambda:

    L = E[ sum_t -log p(x_t | x_<t, z) ] + lambda * BCE(D(z), prior)

The plain autoencoder is the same network with lambda = 0 and no noise.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence
from tqdm import tqdm  # text bars: the book drops stderr, no widget state needed

from latentlib import __version__
from latentlib.config import check_positive_float, check_positive_int
from latentlib.text import Batch, Noise, Vocabulary, make_batch
from latentlib.train import batch_indices, cache_dir, fit_key, resolve_device, set_seed

# bump when a change to the loop makes old cached weights wrong
CACHE_FORMAT = 1


@dataclass(frozen=True)
class TextAEConfig:
    """Architecture (recipe: embedding 512, hidden 1024, latent 128, discriminator 512)."""

    vocab_size: int
    embedding_dim: int = 128
    hidden_size: int = 256
    latent_size: int = 128
    discriminator_hidden: int = 512
    dropout: float = 0.3

    def __post_init__(self) -> None:
        for name in ("vocab_size", "embedding_dim", "hidden_size", "latent_size", "discriminator_hidden"):
            check_positive_int(name, getattr(self, name))
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")


@dataclass(frozen=True)
class TextTrainConfig:
    """Optimisation of one fit: Adam (recipe betas 0.5, 0.999), adversarial weight, noise."""

    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 1e-3
    adversarial_weight: float = 10.0
    noise: Noise = Noise(drop=0.3)
    seed: int = 0

    def __post_init__(self) -> None:
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch_size", self.batch_size)
        check_positive_float("learning_rate", self.learning_rate)
        weight = self.adversarial_weight
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
            raise ValueError(f"adversarial_weight must be a number >= 0, got {weight!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {self.seed!r}")

    @property
    def adversarial(self) -> bool:
        return self.adversarial_weight > 0


class TextAutoencoder(nn.Module):
    """Bidirectional LSTM encoder -> z -> LSTM decoder with z added at every step."""

    def __init__(self, config: TextAEConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=0)
        self.drop = nn.Dropout(config.dropout)
        self.encoder = nn.LSTM(config.embedding_dim, config.hidden_size, batch_first=True, bidirectional=True)
        self.to_latent = nn.Linear(2 * config.hidden_size, config.latent_size)
        self.latent_to_embedding = nn.Linear(config.latent_size, config.embedding_dim)
        # z enters the decoder twice: as its initial state and added to every input word
        self.latent_to_state = nn.Linear(config.latent_size, config.hidden_size)
        self.decoder = nn.LSTM(config.embedding_dim, config.hidden_size, batch_first=True)
        self.project = nn.Linear(config.hidden_size, config.vocab_size)

    def encode(self, source: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Codes z (batch x latent) of padded ids ``source`` with real ``lengths``."""
        packed = pack_padded_sequence(self.drop(self.embed(source)), lengths.cpu(),
                                      batch_first=True, enforce_sorted=False)
        _, (h, _) = self.encoder(packed)
        return self.to_latent(torch.cat([h[-2], h[-1]], dim=1))  # forward and backward final states

    def initial_state(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.tanh(self.latent_to_state(z)).unsqueeze(0)
        return h, torch.zeros_like(h)

    def decoder_states(self, z: torch.Tensor, decoder_input: torch.Tensor,
                       state: tuple[torch.Tensor, torch.Tensor] | None = None
                       ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Decoder outputs (batch x steps x hidden) given z and the previous tokens."""
        steps = self.drop(self.embed(decoder_input)) + self.latent_to_embedding(z).unsqueeze(1)
        output, state = self.decoder(steps, state if state is not None else self.initial_state(z))
        return self.drop(output), state

    def decode(self, z: torch.Tensor, decoder_input: torch.Tensor,
               state: tuple[torch.Tensor, torch.Tensor] | None = None
               ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Next-token logits (batch x steps x vocab) given z and the previous tokens."""
        output, state = self.decoder_states(z, decoder_input, state)
        return self.project(output), state

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encode(batch.source, batch.source_lengths)
        logits, _ = self.decode(z, batch.decoder_input)
        return logits, z

    def masked_logits(self, batch: Batch, *, pad: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(logits of the real target tokens only (n_tokens x vocab), those targets, z).

        Projecting only non-padding positions saves the vocabulary-sized matrix product
        on every pad, a third of the positions of a batch of short sentences.
        """
        z = self.encode(batch.source, batch.source_lengths)
        output, _ = self.decoder_states(z, batch.decoder_input)
        mask = batch.target != pad
        return self.project(output[mask]), batch.target[mask], z

    @torch.no_grad()
    def greedy(self, z: torch.Tensor, *, max_length: int, bos: int = 1, eos: int = 2) -> torch.Tensor:
        """Greedy decoding of codes z: ids (batch x max_length), ``eos`` then padding 0."""
        token = torch.full((len(z), 1), bos, dtype=torch.long, device=z.device)
        out = torch.zeros(len(z), max_length, dtype=torch.long, device=z.device)
        done = torch.zeros(len(z), dtype=torch.bool, device=z.device)
        state = None
        for step in range(max_length):
            logits, state = self.decode(z, token, state)
            token = logits[:, -1].argmax(-1, keepdim=True)
            out[:, step] = torch.where(done, torch.zeros_like(token[:, 0]), token[:, 0])
            done |= token[:, 0] == eos
            if done.all():
                break
        return out


class Discriminator(nn.Module):
    """D(z): the logit that z was drawn from the prior N(0, I) rather than the encoder."""

    def __init__(self, latent_size: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent_size, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).squeeze(-1)


def reconstruction_loss(logits: torch.Tensor, target: torch.Tensor, *, pad: int = 0) -> torch.Tensor:
    """Per-sentence summed token cross-entropy, averaged over the batch (Shen et al.)."""
    per_token = F.cross_entropy(logits.transpose(1, 2), target, ignore_index=pad, reduction="none")
    return per_token.sum(dim=1).mean()


def adversarial_losses(discriminator: Discriminator, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(discriminator loss on detached codes vs prior samples, encoder's loss to fool it)."""
    prior = torch.randn_like(z)
    real, fake = discriminator(prior), discriminator(z.detach())
    loss_d = (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
              + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
    fooled = discriminator(z)
    loss_g = F.binary_cross_entropy_with_logits(fooled, torch.ones_like(fooled))
    return loss_d, loss_g


@dataclass
class TextFitResult:
    """A trained text autoencoder, its discriminator (None for the plain AE) and curves.

    ``history`` maps ``rec`` (cross-entropy per token), ``token_acc`` (teacher-forced),
    ``adv`` (encoder's adversarial loss) and ``disc`` (discriminator loss) to one
    value per epoch.
    """

    model: TextAutoencoder
    discriminator: Discriminator | None
    history: dict[str, list[float]]
    seconds: float
    from_cache: bool
    key: str
    info: dict[str, Any] = field(default_factory=dict)


def corpus_fingerprint(ids: Sequence[Sequence[int]], vocab: Vocabulary) -> str:
    digest = hashlib.sha1(json.dumps([list(map(int, s)) for s in ids]).encode())
    digest.update("\n".join(vocab.tokens).encode())
    digest.update(f"text-format-{CACHE_FORMAT}".encode())
    return digest.hexdigest()


def fit_text_autoencoder(model_config: TextAEConfig, train_config: TextTrainConfig,
                         ids: Sequence[Sequence[int]], *, vocab: Vocabulary,
                         device: str | torch.device = "auto", use_cache: bool = True,
                         progress: bool = True, desc: str | None = None) -> TextFitResult:
    """Train a DAAE (``adversarial_weight > 0``) or plain AE on sentences given as id lists.

    Each epoch visits a seeded permutation of the sentences; the encoder reads them
    through ``train_config.noise``, the decoder reconstructs them clean. The finished fit
    is cached under :func:`latentlib.train.cache_dir` with a key derived from both
    configs and the corpus, and loaded instead of trained on the next identical call.
    """
    if len(vocab) != model_config.vocab_size:
        raise ValueError(f"model_config.vocab_size={model_config.vocab_size} but the vocabulary "
                         f"has {len(vocab)} tokens; build the config with vocab_size=len(vocab)")
    if not len(ids):
        raise ValueError("ids must hold at least one sentence")
    device = resolve_device(device) if isinstance(device, str) else device
    key = fit_key(model_config, train_config, corpus_fingerprint(ids, vocab))
    path = cache_dir() / f"text-{key}.pt"
    if use_cache and path.exists():
        cached = _load_cached(path, model_config, train_config, device)
        if cached is not None:
            return cached

    set_seed(train_config.seed)
    model = TextAutoencoder(model_config).to(device)
    discriminator = (Discriminator(model_config.latent_size, model_config.discriminator_hidden).to(device)
                     if train_config.adversarial else None)
    betas = (0.5, 0.999)  # the recipe's: a lower beta1 steadies the adversarial game
    optimizer = torch.optim.Adam(model.parameters(), lr=train_config.learning_rate, betas=betas)
    optimizer_d = (torch.optim.Adam(discriminator.parameters(), lr=train_config.learning_rate, betas=betas)
                   if discriminator is not None else None)
    generator = torch.Generator().manual_seed(train_config.seed)
    rng = np.random.default_rng(train_config.seed)
    history: dict[str, list[float]] = {"rec": [], "token_acc": [], "adv": [], "disc": []}

    start = time.perf_counter()
    epochs = tqdm(range(train_config.epochs), desc=desc or "fit", disable=not progress, leave=False)
    for _ in epochs:
        model.train()
        sums = dict.fromkeys(history, 0.0)
        tokens = 0
        for index in batch_indices(len(ids), train_config.batch_size, generator):
            batch = make_batch([ids[i] for i in index.tolist()], vocab=vocab,
                               noise=train_config.noise, rng=rng).to(device)
            logits, target, z = model.masked_logits(batch, pad=vocab.pad)
            rec = F.cross_entropy(logits, target, reduction="sum") / len(index)
            loss = rec
            if discriminator is not None:
                loss_d, loss_g = adversarial_losses(discriminator, z)
                loss = rec + train_config.adversarial_weight * loss_g
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if discriminator is not None:
                optimizer_d.zero_grad(set_to_none=True)
                loss_d.backward()  # its graph holds only detached codes and prior samples
                optimizer_d.step()
                sums["adv"] += float(loss_g.detach()) * len(index)
                sums["disc"] += float(loss_d.detach()) * len(index)
            sums["rec"] += float(rec.detach()) * len(index)  # summed per sentence; per token below
            sums["token_acc"] += float((logits.argmax(-1) == target).sum())
            tokens += len(target)
        history["rec"].append(sums["rec"] / tokens)
        history["token_acc"].append(sums["token_acc"] / tokens)
        history["adv"].append(sums["adv"] / len(ids) if discriminator is not None else float("nan"))
        history["disc"].append(sums["disc"] / len(ids) if discriminator is not None else float("nan"))
        epochs.set_postfix(rec=f"{history['rec'][-1]:.3f}", acc=f"{history['token_acc'][-1]:.3f}")
    seconds = time.perf_counter() - start
    model.eval()
    result = TextFitResult(model=model, discriminator=discriminator, history=history, seconds=seconds,
                           from_cache=False, key=key, info={"device": str(device), "n_train": len(ids)})
    if use_cache:
        _save_cached(path, result, model_config, train_config)
    return result


def _save_cached(path: Path, result: TextFitResult, model_config: TextAEConfig,
                 train_config: TextTrainConfig) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".tmp{os.getpid()}")
    disc = result.discriminator
    torch.save({
        "model": {k: v.cpu() for k, v in result.model.state_dict().items()},
        "discriminator": {k: v.cpu() for k, v in disc.state_dict().items()} if disc is not None else None,
        "history": result.history, "seconds": result.seconds, "info": result.info,
        "model_config": dataclasses.asdict(model_config), "train_config": dataclasses.asdict(train_config),
        "latentlib": __version__,
    }, temporary)
    os.replace(temporary, path)  # atomic: a crash never leaves half a checkpoint


def _load_cached(path: Path, model_config: TextAEConfig, train_config: TextTrainConfig,
                 device: torch.device) -> TextFitResult | None:
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        model = TextAutoencoder(model_config)
        model.load_state_dict(saved["model"])
        discriminator = None
        if train_config.adversarial:
            discriminator = Discriminator(model_config.latent_size, model_config.discriminator_hidden)
            discriminator.load_state_dict(saved["discriminator"])
            discriminator.to(device).eval()
    except Exception as error:  # unreadable or mismatched cache: train again, say so
        warnings.warn(f"ignoring unreadable cached fit {path.name} ({error}); training again")
        return None
    model.to(device).eval()
    return TextFitResult(model=model, discriminator=discriminator,
                         history={k: list(v) for k, v in saved["history"].items()},
                         seconds=float(saved["seconds"]), from_cache=True, key=key_of(path),
                         info=dict(saved.get("info", {})))


def key_of(path: Path) -> str:
    return path.stem.removeprefix("text-")
