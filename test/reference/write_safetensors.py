#!/usr/bin/env python3
"""Independent safetensors writer for cross-checking our reader: json + struct + numpy only
(deliberately not the `safetensors` package).

Usage: write_safetensors.py OUT
Writes OUT and prints on stdout the expected content as JSON:
  {"metadata": {...}, "tensors": {name: {"dtype", "shape", "values": [flat, row-major]}}}
Integers wider than 32 bits are given as decimal strings (JSON numbers lose them in JavaScript).

It exercises layout choices our own writer never makes: header keys in a different order than the
data, `__metadata__` last, a non-ASCII tensor name, and a header length that is not a multiple of 8.
"""
import json
import struct
import sys

import numpy as np


def bf16_bits(x):
    """float32 -> bfloat16 bit patterns, round to nearest even (as torch does)."""
    u = np.asarray(x, dtype="<f4").view("<u4").astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")


def bf16_values(bits):
    return (bits.astype(np.uint32) << 16).view("<f4")


def main(out):
    rng = np.random.default_rng(20240601)
    f32 = rng.standard_normal((3, 5)).astype("<f4")
    f64 = rng.standard_normal((2, 2)).astype("<f8")
    f16 = (rng.standard_normal((4, 3)) * 100).astype("<f2")
    bf = bf16_bits(rng.standard_normal((2, 3)).astype("<f4") * 1000)
    i64 = np.array([0, -1, 2**62 + 12345, -(2**63), 2**63 - 1], dtype="<i8")
    i32 = np.array([[-(2**31), 2**31 - 1], [7, -7]], dtype="<i4")
    i16 = np.array([-32768, 32767, 0], dtype="<i2")
    i8 = np.array([-128, 127, -1, 1], dtype="<i1")
    u8 = np.arange(250, 256, dtype="<u1")
    boolean = np.array([[True, False, True], [False, False, True]])
    scalar = np.array(3.5, dtype="<f4")
    empty = np.zeros((0, 4), dtype="<f4")

    # (name, dtype, array whose bytes we store, values a reader must report)
    tensors = [
        ("model.layers.0.mlp.weight", "F32", f32, f32.ravel().tolist()),
        ("f64", "F64", f64, f64.ravel().tolist()),
        ("blocks.0.\u00e4rm.\u6b0a\u91cd", "F16", f16, f16.astype(np.float64).ravel().tolist()),
        ("bf16", "BF16", bf, bf16_values(bf).astype(np.float64).ravel().tolist()),
        ("i64", "I64", i64, [str(v) for v in i64.ravel().tolist()]),
        ("i32", "I32", i32, i32.ravel().tolist()),
        ("i16", "I16", i16, i16.ravel().tolist()),
        ("i8", "I8", i8, i8.ravel().tolist()),
        ("u8", "U8", u8, u8.ravel().tolist()),
        ("mask", "BOOL", boolean, boolean.ravel().tolist()),
        ("scalar", "F32", scalar, [3.5]),
        ("empty", "F32", empty, []),
    ]

    # Data section in reverse list order; header keys in list order.
    data = b""
    offsets = {}
    for name, _, arr, _ in reversed(tensors):
        raw = arr.tobytes(order="C")
        offsets[name] = [len(data), len(data) + len(raw)]
        data += raw

    header = {}
    for name, dtype, arr, _ in tensors:
        header[name] = {"data_offsets": offsets[name], "dtype": dtype, "shape": list(arr.shape)}
    metadata = {"format": "pt", "producer": "write_safetensors.py"}
    header["__metadata__"] = metadata

    hbytes = json.dumps(header, ensure_ascii=False).encode("utf-8")
    if len(hbytes) % 8 == 0:
        hbytes += b" "
    hbytes += b"  "  # trailing spaces, length deliberately not a multiple of 8
    assert len(hbytes) % 8 != 0

    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        f.write(data)

    expected = {
        "metadata": metadata,
        "tensors": {name: {"dtype": dtype, "shape": list(arr.shape), "values": values} for name, dtype, arr, values in tensors},
    }
    json.dump(expected, sys.stdout)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: write_safetensors.py OUT")
    main(sys.argv[1])
