#!/usr/bin/python3
"""Data for eai-distill (docs/distillation.md), all generated offline and deterministically.

Run from the repository root with Debian's interpreter:

    /usr/bin/python3 models/make_distill_data.py [OUT_DIR]      (default: artifacts/distill)

Writes into OUT_DIR (not committed: about 1 MB):
    digits_train_x.npy  float32 [1437,1,8,8]  sklearn digits, pixel/16, the training 80% of
    digits_train_y.npy  int64   [1437]        models/make_digits_cnn.py's split (stratified,
    digits_test_x.npy   float32 [360,1,8,8]   random_state=42): the teacher models/digits_cnn.onnx
    digits_test_y.npy   int64   [360]         was trained on exactly this training part
    shifted_teacher_*   the harder task (see make_shifted below): 4 warps of each training digit,
                        float32 [5748,1,16,16] + int64 [5748], what the teacher is trained on
    shifted_train_*     the first warp of each training digit [1437,...]: the students' training set
    shifted_test_*      one warp of each held-out digit [360,...]
and, with --teacher, trains the harder task's teacher CNN with torch and writes
models/shifted_digits_cnn.onnx (committed; the script is what makes it).
"""

import inspect
import os
import random
import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SPLIT_SEED = 42          # models/make_digits_cnn.py's split
TEST_FRACTION = 0.2
SHIFT_SEED = 20261203
SHIFT_COPIES = 4         # augmented copies of each training digit in the harder task
HERE = os.path.dirname(os.path.abspath(__file__))


def digits_split():
    d = load_digits()
    px = d.data.astype(np.int64)
    y = d.target.astype(np.int64)
    return train_test_split(px, y, test_size=TEST_FRACTION, stratify=y, random_state=SPLIT_SEED)


def to_input(px):
    return (px.astype(np.float32) / 16.0).reshape(-1, 1, 8, 8)


def warp(img8, rng):
    """One 8x8 digit -> 16x16: upscaled 2x (bilinear), rotated by up to +/-20 degrees, scaled 0.8-1.1,
    shifted by up to +/-3 pixels, plus Gaussian noise (std 0.15) and a random contrast; clipped to [0,1]."""
    angle = np.deg2rad(rng.uniform(-20, 20))
    scale = rng.uniform(0.8, 1.1)
    dx, dy = rng.uniform(-3, 3, size=2)
    c, s = np.cos(angle), np.sin(angle)
    ys, xs = np.mgrid[0:16, 0:16].astype(np.float64)
    # output pixel -> source coordinate in the 8x8 image (inverse map around the centres)
    u = xs - 7.5 - dx
    v = ys - 7.5 - dy
    sx = (c * u + s * v) / (2 * scale) + 3.5
    sy = (-s * u + c * v) / (2 * scale) + 3.5
    x0 = np.floor(sx).astype(int)
    y0 = np.floor(sy).astype(int)
    fx, fy = sx - x0, sy - y0

    def at(yy, xx):
        ok = (yy >= 0) & (yy < 8) & (xx >= 0) & (xx < 8)
        return np.where(ok, img8[np.clip(yy, 0, 7), np.clip(xx, 0, 7)], 0.0)

    out = (at(y0, x0) * (1 - fx) * (1 - fy) + at(y0, x0 + 1) * fx * (1 - fy)
           + at(y0 + 1, x0) * (1 - fx) * fy + at(y0 + 1, x0 + 1) * fx * fy)
    out = out * rng.uniform(0.6, 1.0) + rng.normal(0, 0.15, size=out.shape)
    return np.clip(out, 0, 1).astype(np.float32)


def make_shifted(px_train, y_train, px_test, y_test):
    """The harder task: the same digits split, each digit warped (warp) into 16x16; the training part
    SHIFT_COPIES times with different warps, the test part once."""
    rng = np.random.default_rng(SHIFT_SEED)
    tr = to_input(px_train)[:, 0]
    te = to_input(px_test)[:, 0]
    x_train = np.stack([warp(tr[i], rng) for _ in range(SHIFT_COPIES) for i in range(len(tr))])[:, None]
    y_tr = np.concatenate([y_train] * SHIFT_COPIES)
    x_test = np.stack([warp(te[i], rng) for i in range(len(te))])[:, None]
    return x_train, y_tr, x_test, y_test.copy()


def train_teacher(x_train, y_train, x_test, y_test, path):
    import torch
    import torch.nn as nn
    import onnx
    seed = 20261204
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10))
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(1, 31):
        model.train()
        perm = torch.randperm(len(yt), generator=gen)
        total = 0.0
        for i in range(0, len(perm), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        if epoch % 10 == 0:
            model.eval()
            with torch.no_grad():
                acc = (model(torch.from_numpy(x_test)).argmax(1).numpy() == y_test).mean()
            print(f"teacher epoch {epoch}: loss {total / len(perm):.4f}, held-out accuracy {acc:.4f}")
    model.eval()
    kwargs = dict(export_params=True, input_names=["image"], output_names=["logits"], opset_version=13,
                  do_constant_folding=True, keep_initializers_as_inputs=False)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    torch.onnx.export(model, torch.zeros(1, 1, 16, 16), path, **kwargs)
    onnx.checker.check_model(onnx.load(path))
    print(f"wrote {path} ({os.path.getsize(path)} bytes), {sum(p.numel() for p in model.parameters())} parameters")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    out = args[0] if args else os.path.join(HERE, "..", "artifacts", "distill")
    os.makedirs(out, exist_ok=True)
    px_train, px_test, y_train, y_test = digits_split()
    files = {
        "digits_train_x": to_input(px_train), "digits_train_y": y_train,
        "digits_test_x": to_input(px_test), "digits_test_y": y_test,
    }
    sx, sy, tx, ty = make_shifted(px_train, y_train, px_test, y_test)
    n = len(y_train)  # copy-major: the first n samples are the first warp of each training digit
    files.update({"shifted_teacher_x": sx, "shifted_teacher_y": sy, "shifted_train_x": sx[:n], "shifted_train_y": sy[:n],
                  "shifted_test_x": tx, "shifted_test_y": ty})
    for name, arr in files.items():
        np.save(os.path.join(out, name + ".npy"), np.ascontiguousarray(arr))
        print(f"{name}.npy {arr.dtype} {list(arr.shape)}")
    if "--teacher" in sys.argv:
        train_teacher(sx, sy, tx, ty, os.path.join(HERE, "shifted_digits_cnn.onnx"))


if __name__ == "__main__":
    main()
