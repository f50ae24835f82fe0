#!/usr/bin/python3
"""Write the calibration split for the digits CNN's static int8 quantization.

Run from the repository root with Debian's interpreter (python3-sklearn, NumPy):

    /usr/bin/python3 models/make_digits_calib.py

Writes models/digits_calib.npy: float32 [256, 1, 8, 8] = pixel / 16, the first 256 samples of the
*training* split of make_digits_cnn.py (the same load_digits data and the same train_test_split call),
so calibration never sees the held-out images of digits_test.csv. Deterministic.
"""
import os

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SPLIT_SEED = 42          # as make_digits_cnn.py
TEST_FRACTION = 0.2      # as make_digits_cnn.py
CALIBRATION_SAMPLES = 256

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    digits = load_digits()
    pixels = digits.data.astype(np.int64)
    labels = digits.target.astype(np.int64)
    px_train, px_test, _, _ = train_test_split(
        pixels, labels, test_size=TEST_FRACTION, stratify=labels, random_state=SPLIT_SEED)
    # The held-out split must be the one digits_test.csv holds.
    csv = np.loadtxt(os.path.join(HERE, "digits_test.csv"), delimiter=",", skiprows=1, dtype=np.int64)
    assert np.array_equal(csv[:, 1:], px_test), "the split differs from digits_test.csv"
    calib = (px_train[:CALIBRATION_SAMPLES].astype(np.float32) / 16.0).reshape(-1, 1, 8, 8)
    path = os.path.join(HERE, "digits_calib.npy")
    np.save(path, np.ascontiguousarray(calib, dtype=np.float32))
    print(f"wrote {path}: {calib.shape} float32 from the training split ({len(px_train)} samples)")


if __name__ == "__main__":
    main()
