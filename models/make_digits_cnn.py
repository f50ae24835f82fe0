#!/usr/bin/python3
"""Train a small CNN on scikit-learn's bundled digits data set and export it to ONNX.

Run from the repository root with Debian's interpreter:

    /usr/bin/python3 models/make_digits_cnn.py

Writes (next to this script):
    digits_cnn.onnx   the trained model (input "image" [1,1,8,8] float32 = pixel/16,
                      output "logits" [1,10] float32, no softmax), opset 13
    digits_test.csv   the held-out 20% split: label,p0..p63 with integer pixels 0..16

Everything is deterministic: fixed seeds, one CPU thread, deterministic algorithms,
a fixed number of epochs (the held-out split is not used to choose a checkpoint;
it is only evaluated at the end, and the script fails if accuracy is below 98%).
"""

import inspect
import os
import random

import numpy as np
import onnx
import onnx.helper
import onnx.numpy_helper
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 20240601
SPLIT_SEED = 42
TEST_FRACTION = 0.2
EPOCHS = 40
BATCH_SIZE = 32
LEARNING_RATE = 1e-3
MIN_ACCURACY = 0.98

HERE = os.path.dirname(os.path.abspath(__file__))
ONNX_PATH = os.path.join(HERE, "digits_cnn.onnx")
CSV_PATH = os.path.join(HERE, "digits_test.csv")


def set_determinism(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False


class DigitsCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Linear(512, 64),
            nn.ReLU(),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))


def to_input(pixels):
    """Integer pixels 0..16, shape [N,64] -> float32 [N,1,8,8] in 0..1."""
    return torch.from_numpy((pixels.astype(np.float32) / 16.0).reshape(-1, 1, 8, 8))


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = model(x).argmax(dim=1)
    return (pred == y).float().mean().item(), pred.numpy()


# --- fallback check when onnx.reference is not available (onnx < 1.13) ----------------
def numpy_eval(model_proto, x):
    """Minimal NumPy interpreter for the ops this graph uses (batch of any size)."""
    env = {t.name: onnx.numpy_helper.to_array(t) for t in model_proto.graph.initializer}
    env[model_proto.graph.input[0].name] = x
    for node in model_proto.graph.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
        ins = [env[i] for i in node.input]
        if node.op_type == "Conv":
            xin, w = ins[0], ins[1]
            b = ins[2] if len(ins) > 2 else np.zeros(w.shape[0], np.float32)
            assert list(a.get("strides", [1, 1])) == [1, 1]
            assert list(a.get("dilations", [1, 1])) == [1, 1] and a.get("group", 1) == 1
            p = a.get("pads", [0, 0, 0, 0])
            xp = np.pad(xin, ((0, 0), (0, 0), (p[0], p[2]), (p[1], p[3])))
            kh, kw = w.shape[2], w.shape[3]
            oh, ow = xp.shape[2] - kh + 1, xp.shape[3] - kw + 1
            out = np.zeros((xin.shape[0], w.shape[0], oh, ow), np.float32)
            for i in range(kh):
                for j in range(kw):
                    out += np.einsum("nchw,oc->nohw", xp[:, :, i:i + oh, j:j + ow], w[:, :, i, j])
            res = out + b.reshape(1, -1, 1, 1)
        elif node.op_type == "Relu":
            res = np.maximum(ins[0], 0)
        elif node.op_type == "MaxPool":
            k, s = a["kernel_shape"], a.get("strides", a["kernel_shape"])
            assert list(k) == [2, 2] and list(s) == [2, 2] and not any(a.get("pads", []))
            n, c, h, w_ = ins[0].shape
            res = ins[0].reshape(n, c, h // 2, 2, w_ // 2, 2).max(axis=(3, 5))
        elif node.op_type == "Flatten":
            ax = a.get("axis", 1)
            res = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif node.op_type == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            res = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2:
                res = res + a.get("beta", 1.0) * ins[2]
        else:
            raise NotImplementedError(node.op_type)
        env[node.output[0]] = res.astype(np.float32)
    return env[model_proto.graph.output[0].name]


def main():
    set_determinism(SEED)

    digits = load_digits()
    pixels = digits.data.astype(np.int64)  # [1797,64], integers 0..16
    labels = digits.target.astype(np.int64)
    assert pixels.min() >= 0 and pixels.max() <= 16 and np.all(digits.data == pixels)

    px_train, px_test, y_train, y_test = train_test_split(
        pixels, labels, test_size=TEST_FRACTION, stratify=labels, random_state=SPLIT_SEED)
    print(f"split: {len(y_train)} train, {len(y_test)} held out "
          f"(stratified, random_state={SPLIT_SEED})")

    x_train, t_train = to_input(px_train), torch.from_numpy(y_train)
    x_test, t_test = to_input(px_test), torch.from_numpy(y_test)

    model = DigitsCnn()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {n_params}")

    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(1, EPOCHS + 1):
        model.train()
        perm = torch.randperm(len(t_train), generator=gen)
        total = 0.0
        for i in range(0, len(perm), BATCH_SIZE):
            idx = perm[i:i + BATCH_SIZE]
            opt.zero_grad()
            loss = loss_fn(model(x_train[idx]), t_train[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        if epoch % 10 == 0 or epoch == EPOCHS:
            train_acc, _ = accuracy(model, x_train, t_train)
            print(f"epoch {epoch:3d}  loss {total / len(perm):.4f}  train acc {train_acc:.4f}")

    test_acc, torch_pred = accuracy(model, x_test, t_test)
    n_correct = int((torch_pred == y_test).sum())
    print(f"held-out accuracy (PyTorch float32): {test_acc:.4f} ({n_correct}/{len(y_test)})")
    if test_acc < MIN_ACCURACY:
        raise SystemExit(f"held-out accuracy {test_acc:.4f} is below {MIN_ACCURACY}")

    # --- export -----------------------------------------------------------------------
    model.eval()
    export_kwargs = dict(
        export_params=True,
        input_names=["image"],
        output_names=["logits"],
        opset_version=13,
        do_constant_folding=True,
        keep_initializers_as_inputs=False,
    )
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        export_kwargs["dynamo"] = False  # legacy TorchScript exporter
    torch.onnx.export(model, torch.zeros(1, 1, 8, 8), ONNX_PATH, **export_kwargs)

    m = onnx.load(ONNX_PATH)
    onnx.checker.check_model(m)
    ops = [n.op_type for n in m.graph.node]
    print("onnx ops:", " -> ".join(ops))
    for v in list(m.graph.input) + list(m.graph.output):
        dims = [d.dim_value if d.HasField("dim_value") else d.dim_param
                for d in v.type.tensor_type.shape.dim]
        print(f"  {v.name}: {onnx.TensorProto.DataType.Name(v.type.tensor_type.elem_type)} {dims}")
    print(f"initializers: {len(m.graph.initializer)}, "
          f"file size {os.path.getsize(ONNX_PATH)} bytes")

    # --- check ONNX vs PyTorch on the held-out split -------------------------------------
    xs = x_test.numpy()
    with torch.no_grad():
        torch_logits = model(x_test).numpy()
    try:
        from onnx.reference import ReferenceEvaluator
    except ImportError:
        ReferenceEvaluator = None
    if ReferenceEvaluator is not None:
        sess = ReferenceEvaluator(m)
        onnx_logits = np.concatenate([sess.run(None, {"image": xs[i:i + 1]})[0]
                                      for i in range(len(xs))])
        how = "onnx.reference.ReferenceEvaluator"
    else:
        print(f"onnx {onnx.__version__} has no onnx.reference.ReferenceEvaluator; "
              "falling back to the minimal NumPy interpreter in this script")
        onnx_logits = np.concatenate([numpy_eval(m, xs[i:i + 1]) for i in range(len(xs))])
        how = "NumPy fallback interpreter"
    onnx_pred = onnx_logits.argmax(axis=1)
    max_diff = float(np.abs(onnx_logits - torch_logits).max())
    same = int((onnx_pred == torch_pred).sum())
    print(f"ONNX ({how}) vs PyTorch: {same}/{len(xs)} same predictions, "
          f"max |logit diff| {max_diff:.2e}")
    if same != len(xs):
        raise SystemExit("ONNX and PyTorch predictions differ")

    # --- held-out CSV -----------------------------------------------------------------
    with open(CSV_PATH, "w", newline="\n") as f:
        f.write("label," + ",".join(f"p{i}" for i in range(64)) + "\n")
        for lab, row in zip(y_test, px_test):
            f.write(f"{lab}," + ",".join(str(int(v)) for v in row) + "\n")
    print(f"wrote {CSV_PATH} ({len(y_test)} rows)")


if __name__ == "__main__":
    main()
