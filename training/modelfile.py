"""Read and write the exact engine's model file (docs/model-format.md)."""
import json
import struct

import numpy as np

MAGIC = b"LLMZMODL"
VERSION = 1
DTYPES = {"i8": np.int8, "i16": np.int16, "i32": np.int32}


class Int4:
    """Marks an int8 array (values in [-7, 7]) to be stored packed, two per byte, low nibble first."""

    def __init__(self, arr):
        assert arr.dtype == np.int8 and np.abs(arr).max(initial=0) <= 7
        self.arr = arr


def pack_int4(arr):
    flat = arr.astype(np.int8).ravel()
    if len(flat) % 2:
        flat = np.concatenate([flat, np.zeros(1, np.int8)])
    u = (flat.astype(np.uint8) & 0x0F)
    return (u[0::2] | (u[1::2] << 4)).astype(np.uint8).tobytes()


def unpack_int4(buf, count):
    u = np.frombuffer(buf, dtype=np.uint8, count=(count + 1) // 2)
    nib = np.empty(len(u) * 2, dtype=np.int16)
    nib[0::2] = u & 0x0F
    nib[1::2] = u >> 4
    nib = np.where(nib >= 8, nib - 16, nib).astype(np.int8)
    return nib[:count]


def _align(n, a=64):
    return (n + a - 1) // a * a


def write(path, meta, tensors):
    """meta: dict(numerics, name, config, tokenizer_sha256, scalars); tensors: {name: int ndarray}."""
    entries, blobs, off = {}, [], 0
    for name, arr in tensors.items():
        if isinstance(arr, Int4):
            entries[name] = {"dtype": "i4", "shape": list(arr.arr.shape), "offset": off}
            b = pack_int4(arr.arr)
        else:
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
        count = int(np.prod(e["shape"]))
        if e["dtype"] == "i4":
            o = start + e["offset"]
            tensors[name] = unpack_int4(data[o:o + (count + 1) // 2], count).reshape(e["shape"])
            continue
        dt = np.dtype(DTYPES[e["dtype"]]).newbyteorder("<")
        tensors[name] = np.frombuffer(data, dtype=dt, count=count, offset=start + e["offset"]).reshape(e["shape"])
    return header, tensors
