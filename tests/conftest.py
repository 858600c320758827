"""Tests never write into the committed book: fit cache and records go to temp folders."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_outputs(tmp_path_factory, monkeypatch):
    scratch = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("LATENTLIB_CACHE", str(scratch / "fit-cache"))
    monkeypatch.setenv("LATENTLIB_RESULTS", str(scratch / "results"))


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def fresh_outputs(tmp_path, monkeypatch):
    """This test's own fit cache and records: it sees no fit or record of another test."""
    monkeypatch.setenv("LATENTLIB_CACHE", str(tmp_path / "fit-cache"))
    monkeypatch.setenv("LATENTLIB_RESULTS", str(tmp_path / "results"))
