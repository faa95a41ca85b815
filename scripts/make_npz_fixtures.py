"""NumPy array fixtures for NumPyArraysTests (Tests/ImpastoFormatsTests/Fixtures/):

    scripts/dev-python.sh scripts/make_npz_fixtures.py

- arrays.npz: numpy.savez_compressed (deflated entries) of `weights/W` float32 (2, 3) = arange / 4,
  `weights/b` float64 (3,) = [0.5, -1, 1e30], `counts` int64 (2, 2) = [[1, -2], [3, 4]], `scalar` uint8 () = 7,
  `empty` float32 (0, 5) and `half` float16 (2,) = [1.5, -2]: names with a slash as Chainer writes them.
- stored.npz: numpy.savez (stored entries) of `x` float32 (4,) = [1, 2, 3, 4].
"""
import os
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests/ImpastoFormatsTests/Fixtures")
np.savez_compressed(os.path.join(OUT, "arrays.npz"), **{
    "weights/W": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
    "weights/b": np.array([0.5, -1, 1e30], dtype=np.float64),
    "counts": np.array([[1, -2], [3, 4]], dtype=np.int64),
    "scalar": np.array(7, dtype=np.uint8),
    "empty": np.zeros((0, 5), dtype=np.float32),
    "half": np.array([1.5, -2], dtype=np.float16),
})
np.savez(os.path.join(OUT, "stored.npz"), x=np.array([1, 2, 3, 4], dtype=np.float32))
print("numpy", np.__version__)

# Hostile NumPy files for Tests/Corpus (HostileCorpusTests runs `impasto inspect` on each through the release
# binary: refused ones must end in one sentence and exit status 1; accepted ones must load).
import io  # noqa: E402
import zipfile  # noqa: E402

CORPUS = os.path.join(os.path.dirname(OUT), "..", "Corpus")


def npy(header, data=b"", version=1):
    text = repr(header).encode() if isinstance(header, dict) else header
    text += b" " * ((64 - (10 + len(text) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY" + bytes([version, 0]) + len(text).to_bytes(2, "little") + text + data


def npz(path, entries, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


refused = os.path.join(CORPUS, "refused")
good = {"descr": "<f4", "fortran_order": False, "shape": (2,)}
npz(os.path.join(refused, "npz-fortran-order.npz"),
    {"conv1/W.npy": npy({"descr": "<f4", "fortran_order": True, "shape": (2, 1)}, bytes(8))})
npz(os.path.join(refused, "npz-big-endian.npz"), {"conv1/W.npy": npy({**good, "descr": ">f4"}, bytes(8))})
npz(os.path.join(refused, "npz-object-array.npz"), {"conv1/W.npy": npy({**good, "descr": "|O"}, b"\x80\x02N.")})
npz(os.path.join(refused, "npz-shape-past-data.npz"), {"conv1/W.npy": npy({**good, "shape": (1000, 1000)}, bytes(8))})
npz(os.path.join(refused, "npz-shape-exabytes.npz"),
    {"conv1/W.npy": npy({**good, "shape": (1 << 31, 1 << 31, 1 << 31)}, bytes(8))})
npz(os.path.join(refused, "npz-header-garbled.npz"), {"conv1/W.npy": npy(b"{'descr': '<f4', 'shape': (2,; ")})
npz(os.path.join(refused, "npz-header-length-past-end.npz"), {"conv1/W.npy": b"\x93NUMPY\x01\x00\xff\xff{'descr'"})
npz(os.path.join(refused, "npz-not-an-array.npz"), {"conv1/W.npy": npy(good, bytes(8)), "readme.txt": b"hello"},
    zipfile.ZIP_STORED)
with open(os.path.join(OUT, "arrays.npz"), "rb") as file:
    whole = file.read()
with open(os.path.join(refused, "npz-cut-in-half.npz"), "wb") as file:
    file.write(whole[: len(whole) // 2])
with open(os.path.join(refused, "npy-version-9.npy"), "wb") as file:
    file.write(npy(good, bytes(8), version=9))
with open(os.path.join(CORPUS, "accepted", "npz-chainer-keys.npz"), "wb") as file:
    file.write(whole)
