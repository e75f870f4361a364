#!/usr/bin/env python3
"""Independent safetensors checker for files our writer produced: json + struct + numpy only.

Usage: read_safetensors.py FILE
Checks the layout the reference (Rust) library requires and our writer promises:
  - header length N is a multiple of 8 and the header is JSON padded with spaces only;
  - data_offsets are contiguous in header order, start at 0, and cover the data section exactly;
  - byte sizes match dtype x shape.
Prints JSON on stdout:
  {"header_length": N, "order": [names in header order], "metadata": {...},
   "tensors": {name: {"dtype", "shape", "values": [...]}}}
Non-finite floats are given as "nan" / "inf" / "-inf"; 64-bit integers as decimal strings.
Exits non-zero with a message on stderr if any check fails.
"""
import json
import math
import struct
import sys

import numpy as np

NP = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "<i1", "U8": "<u1", "BOOL": "|b1"}
SIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def fail(msg):
    sys.stderr.write("read_safetensors.py: " + msg + "\n")
    sys.exit(1)


def floats(xs):
    out = []
    for x in xs:
        x = float(x)
        out.append(x if math.isfinite(x) else ("nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")))
    return out


def main(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    if n % 8 != 0:
        fail(f"header length {n} is not a multiple of 8")
    raw = blob[8 : 8 + n]
    text = raw.decode("utf-8")
    stripped = text.rstrip(" ")
    if not (stripped.startswith("{") and stripped.endswith("}")):
        fail("header is not a JSON object followed by space padding only")
    pairs = json.loads(stripped, object_pairs_hook=lambda kv: kv)
    order = [k for k, _ in pairs if k != "__metadata__"]
    header = dict(pairs)
    if len(header) != len(pairs):
        fail("duplicate keys in header")
    metadata = dict(header.pop("__metadata__", None) or {})
    data = blob[8 + n :]

    pos = 0
    tensors = {}
    for name in order:
        info = dict(header[name])
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        if begin != pos:
            fail(f"tensor {name!r} starts at {begin}, expected {pos} (offsets must be contiguous)")
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if end - begin != count * SIZE[dtype]:
            fail(f"tensor {name!r}: {end - begin} bytes for {dtype} {shape}")
        chunk = data[begin:end]
        if dtype == "BF16":
            bits = np.frombuffer(chunk, dtype="<u2").astype(np.uint32) << 16
            values = floats(bits.view("<f4").tolist())
        else:
            arr = np.frombuffer(chunk, dtype=NP[dtype])
            if dtype in ("F64", "F32", "F16"):
                values = floats(arr.astype(np.float64).tolist())
            elif dtype == "I64":
                values = [str(v) for v in arr.tolist()]
            else:
                values = arr.tolist()
        tensors[name] = {"dtype": dtype, "shape": shape, "values": values}
        pos = end
    if pos != len(data):
        fail(f"data section is {len(data)} bytes but tensors cover {pos}")
    json.dump({"header_length": n, "order": order, "metadata": metadata, "tensors": tensors}, sys.stdout)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: read_safetensors.py FILE")
    main(sys.argv[1])
