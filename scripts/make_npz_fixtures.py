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
