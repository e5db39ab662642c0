"""Read and write the exact engine's model file (docs/model-format.md)."""
import json
import struct

import numpy as np

MAGIC = b"LLMZMODL"
VERSION = 1
DTYPES = {"i8": np.int8, "i16": np.int16, "i32": np.int32}


def _align(n, a=64):
    return (n + a - 1) // a * a


def write(path, meta, tensors):
    """meta: dict(numerics, name, config, tokenizer_sha256, scalars); tensors: {name: int ndarray}."""
    entries, blobs, off = {}, [], 0
    for name, arr in tensors.items():
        dt = {np.dtype(np.int8): "i8", np.dtype(np.int16): "i16", np.dtype(np.int32): "i32"}[arr.dtype]
        entries[name] = {"dtype": dt, "shape": list(arr.shape), "offset": off}
        b = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        blobs.append((off, b))
        off = _align(off + len(b))
    header = dict(format=VERSION, **meta, tensors=entries)
    js = json.dumps(header, separators=(",", ":")).encode()
    start = _align(16 + len(js))
    out = bytearray(start + off)
    out[0:8] = MAGIC
    out[8:16] = struct.pack("<II", VERSION, len(js))
    out[16:16 + len(js)] = js
    for o, b in blobs:
        out[start + o:start + o + len(b)] = b
    with open(path, "wb") as f:
        f.write(out)


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == MAGIC, "not an llmz model file"
    version, n = struct.unpack("<II", data[8:16])
    assert version == VERSION
    header = json.loads(data[16:16 + n])
    start = _align(16 + n)
    tensors = {}
    for name, e in header["tensors"].items():
        dt = np.dtype(DTYPES[e["dtype"]]).newbyteorder("<")
        count = int(np.prod(e["shape"]))
        tensors[name] = np.frombuffer(data, dtype=dt, count=count, offset=start + e["offset"]).reshape(e["shape"])
    return header, tensors
