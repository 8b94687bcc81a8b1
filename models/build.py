"""``python -m models.build``: assemble the Triton model repository (``make models``).

For each builder: verify its pinned sources, skip it when the stamp says nothing
changed and the output is intact, else export ONNX and write ``config.pbtxt``.
Fails with a message naming the missing or altered file.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

from emocore.settings import DEFAULT_ASR_MULTILINGUAL_DIR, DEFAULT_MODEL_REPOSITORY, REPO_ROOT
from models import whisper_base
from models.repository import MissingSource, render_config, sha256_file, verify

BUILDERS = (
    "models.face_emotion",
    "models.face_detector",
    "models.text_emotion",
    "models.audio_emotion",
    "models.transnetv2",
)


def _fingerprint(module: ModuleType) -> dict[str, str]:
    """What a build depends on: pinned sources, the builder and the code its export runs."""
    sources = {str(s.path): s.sha256 for s in module.sources()}
    for code in (Path(module.__file__ or ""), *getattr(module, "CODE", ())):
        sources[str(code.relative_to(REPO_ROOT))] = sha256_file(code)
    sources["config.pbtxt"] = render_config(module.SPEC)
    return sources


def _outputs(version_dir: Path) -> dict[str, str]:
    """sha256 of each file of a version directory: model.onnx and its assets (a tokenizer)."""
    return {p.name: sha256_file(p) for p in sorted(version_dir.iterdir()) if p.is_file()}


def build_one(module: ModuleType, repository: Path, *, force: bool = False) -> str:
    """Build one model into the repository; returns 'built' or 'unchanged'."""
    spec = module.SPEC
    verify(module.sources())
    model_dir = repository / spec.name
    onnx_path = model_dir / "1" / "model.onnx"
    stamp_path = model_dir / ".build.json"
    fingerprint = _fingerprint(module)
    if not force and stamp_path.is_file() and onnx_path.is_file():
        stamp = json.loads(stamp_path.read_text())
        if stamp.get("inputs") == fingerprint and stamp.get("outputs") == _outputs(onnx_path.parent):
            return "unchanged"
    (model_dir / "1").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=model_dir) as tmp:
        tmp_onnx = Path(tmp) / "model.onnx"
        module.export(tmp_onnx)
        for produced in Path(tmp).iterdir():  # model.onnx and any asset written beside it
            produced.replace(onnx_path.parent / produced.name)
    (model_dir / "config.pbtxt").write_text(render_config(spec))
    stamp_path.write_text(
        json.dumps({"inputs": fingerprint, "outputs": _outputs(onnx_path.parent)}, indent=2)
    )
    return "built"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repository", type=Path, default=DEFAULT_MODEL_REPOSITORY)
    parser.add_argument("--only", nargs="*", help="model names to build (default: all)")
    parser.add_argument("--asr-dir", type=Path, default=DEFAULT_ASR_MULTILINGUAL_DIR,
                        help="where the multilingual Whisper model is assembled")
    parser.add_argument("--force", action="store_true", help="rebuild even if unchanged")
    args = parser.parse_args(argv)
    args.repository.mkdir(parents=True, exist_ok=True)
    for name in BUILDERS:
        module = importlib.import_module(name)
        if args.only and module.SPEC.name not in args.only:
            continue
        start = time.perf_counter()
        try:
            outcome = build_one(module, args.repository, force=args.force)
        except MissingSource as exc:
            print(f"make models: {module.SPEC.name}: {exc.message}", file=sys.stderr)
            return 2
        print(f"{module.SPEC.name}: {outcome} ({time.perf_counter() - start:.1f}s)")
    if not args.only or whisper_base.NAME in args.only:
        start = time.perf_counter()
        try:
            outcome = whisper_base.assemble(args.asr_dir, force=args.force)
        except MissingSource as exc:
            print(f"make models: {whisper_base.NAME}: {exc.message}", file=sys.stderr)
            return 2
        print(f"{whisper_base.NAME}: {outcome} ({time.perf_counter() - start:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
