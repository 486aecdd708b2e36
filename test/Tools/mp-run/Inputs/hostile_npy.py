"""Writes .npy headers whose shapes are far larger than their (absent) data."""
import struct
import sys


def npy(path, shape):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % shape
    header += " " * ((64 - (11 + len(header)) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())


out = sys.argv[1]
npy(out + "/wrap.npy", "(4611686018427387904, 4)")
npy(out + "/huge.npy", "(4611686018427387904,)")
