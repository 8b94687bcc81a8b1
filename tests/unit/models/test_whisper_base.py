"""models/whisper_base.py: the multilingual Whisper assembled from its two registry packages."""

from __future__ import annotations

from pathlib import Path

from models.whisper_base import assemble, sources


def test_assembles_model_bin_from_both_halves_and_rebuilds_a_damaged_copy(tmp_path: Path) -> None:
    target = tmp_path / "whisper-base"
    parts = sources()
    assert assemble(target) == "built"
    assert (target / "model.bin").stat().st_size == parts[0].path.stat().st_size + parts[1].path.stat().st_size
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        assert (target / name).read_bytes() == next(p.path for p in parts if p.path.name == name).read_bytes()
    assert assemble(target) == "unchanged"
    with open(target / "model.bin", "r+b") as handle:
        handle.truncate(1000)
    assert assemble(target) == "built"
    assert (target / "model.bin").stat().st_size > 100_000_000
