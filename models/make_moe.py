#!/usr/bin/python3
"""Train small Mixture-of-Experts classifiers on scikit-learn's digits and export each in three ONNX forms.

Run from the repository root with Debian's interpreter (python3-torch, python3-onnx, python3-sklearn):

    /usr/bin/python3 models/make_moe.py                  # the small committed test models
    /usr/bin/python3 models/make_moe.py --bench DIR      # untrained benchmark models (E = 4, 8, 16, 32; k = 2; all three forms) into DIR
    /usr/bin/python3 models/make_moe.py --layer DIR --hidden 512 --inter 2048   # the MoE layer alone (contrib op + raw .bin weights), E = 4..32
    /usr/bin/python3 models/make_moe.py --qmoe           # moe_e4k2_qmoe{8,4}.onnx from the committed moe_e4k2_contrib.onnx (no training)

The model: x [batch, 64] (pixel / 16) -> MoE layer -> Gemm head -> logits [batch, 10]. The MoE layer is a router
Linear(64, E, no bias) -> Softmax -> TopK(k) (renormalized over the k chosen when normalize=1), and E experts of
Linear(64, I) -> ReLU -> Linear(I, 64), I = 12; the layer's output is the routing-weighted sum of the chosen experts.

Each trained model is written three ways (next to this script):
    moe_e{E}k{k}_contrib.onnx  com.microsoft::MoE built by hand with onnx.helper: router MatMul -> MoE -> head Gemm.
                               fc1 weights [E, I, 64] and fc2 weights [E, 64, I] ([E, out, in], as ONNX Runtime's
                               CPU kernel reads them), biases [E, I] and [E, 64]; MoE applies the softmax itself.
    moe_e{E}k{k}_dense.onnx    the dense masked export (form d): every expert on every token, the gate a
                               ScatterElements of the top-k weights into zeros [batch, E], Mul -> ReduceSum.
    moe_e{E}k{k}_sparse.onnx   the sparse traced export (form a): per expert Equal -> NonZero -> Gather the tokens
                               -> expert -> Mul(weight) -> index_add into a running total.
    moe_e4k2_onehot.onnx       the sparse export with a OneHot expert mask (form b, Mixtral style): per expert
                               Gather(OneHot(indices) transposed, e) -> NonZero -> the same expert and index_add.
The three forms compute the same function. The script checks that the dense and sparse forms give the same logits in
PyTorch; it does not run the ONNX files (onnx 1.12 has no reference evaluator): the C# tests check all three against
ONNX Runtime and against each other.

Training adds a small load-balancing loss (the Switch Transformer's E * sum(share * mean prob)) so that the
router does not collapse onto one expert. Deterministic: fixed seeds, one thread, deterministic algorithms, a fixed number of epochs; the held-out split
(the same as models/digits_test.csv: 20%, stratified, random_state 42) is evaluated once at the end.
"""

import argparse
import inspect
import os
import random

import numpy as np
import onnx
import onnx.helper as oh
import onnx.numpy_helper as onh
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 20261203
SPLIT_SEED = 42
TEST_FRACTION = 0.2
EPOCHS = 30
BATCH_SIZE = 32
LEARNING_RATE = 2e-3
MIN_ACCURACY = 0.95
HIDDEN = 64
INTER = 12
BALANCE = 0.05  # weight of the load-balancing loss (Switch Transformer style): keeps every expert in use
OPSET = 16

# (experts, k, normalize_routing_weights) of the committed models.
CONFIGS = [(4, 2, 1), (8, 1, 0)]

HERE = os.path.dirname(os.path.abspath(__file__))


def set_determinism(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


class Moe(nn.Module):
    def __init__(self, experts, k, normalize, hidden=HIDDEN, inter=INTER, classes=10, act=None, linear=nn.Linear):
        super().__init__()
        self.experts, self.k, self.normalize = experts, k, normalize
        self.router = nn.Linear(hidden, experts, bias=False)
        self.fc1 = nn.ModuleList(linear(hidden, inter) for _ in range(experts))
        self.fc2 = nn.ModuleList(linear(inter, hidden) for _ in range(experts))
        self.act = act  # None: torch.relu (the committed digits models)
        self.fc3 = None  # set by gate_up(): Mixtral's up projection, expert = fc2(act(fc1 x) * fc3 x)
        self.head = nn.Linear(hidden, classes)
        self.sparse = False  # which form forward() traces

    def route(self, x):
        probs = torch.softmax(self.router(x), dim=-1)
        weights, index = torch.topk(probs, self.k, dim=-1)
        if self.normalize:
            weights = weights / weights.sum(dim=-1, keepdim=True)
        return weights, index

    def gate_up(self, linear):
        """Makes the experts gated (SwiGLU with act = SiLU): a third, up projection per expert."""
        self.fc3 = nn.ModuleList(linear(self.router.in_features, self.fc1[0].out_features) for _ in range(self.experts))
        return self

    def expert(self, e, x):
        h = self.fc1[e](x)
        h = torch.relu(h) if self.act is None else self.act(h)
        if self.fc3 is not None:
            h = h * self.fc3[e](x)
        return self.fc2[e](h)

    def moe_dense(self, x):
        weights, index = self.route(x)
        gate = torch.zeros(x.shape[0], self.experts).scatter(1, index, weights)       # [T, E]
        outs = torch.stack([self.expert(e, x) for e in range(self.experts)], dim=1)   # [T, E, H]
        return (gate.unsqueeze(-1) * outs).sum(dim=1)

    def moe_sparse(self, x):
        weights, index = self.route(x)
        y = torch.zeros_like(x)
        for e in range(self.experts):
            token, slot = torch.nonzero(index == e, as_tuple=True)
            out = self.expert(e, x[token]) * weights[token, slot].unsqueeze(-1)
            y = y.index_add(0, token, out)
        return y

    def moe_onehot(self, x):
        weights, index = self.route(x)
        y = torch.zeros_like(x)
        mask = nn.functional.one_hot(index, self.experts).permute(2, 1, 0)              # [E, k, T]
        for e in range(self.experts):
            slot, token = torch.where(mask[e])
            out = self.expert(e, x[token]) * weights[token, slot].unsqueeze(-1)
            y = y.index_add(0, token, out)
        return y

    def forward(self, x):
        if x.dim() == 3:
            # [batch, seq, hidden]: the tokens are flattened inside the graph, as Mixtral's layer does.
            b, t, h = x.shape
            flat = x.reshape(-1, h)
            y = self.moe_sparse(flat) if self.sparse else self.moe_dense(flat)
            return self.head(y).reshape(b, t, -1)
        if self.sparse == "onehot":
            return self.head(self.moe_onehot(x))
        return self.head(self.moe_sparse(x) if self.sparse else self.moe_dense(x))


class MatMulLinear(nn.Linear):
    """A Linear written as x @ W^T (+ b): exported as MatMul (-> Add), never Gemm; without bias torch's own Linear does
    the same on 2-D input (Mixtral's experts)."""

    def forward(self, x):
        y = x.matmul(self.weight.t())
        return y if self.bias is None else y + self.bias


# Untrained variants for the recognition tests (--variants): how the experts' layers and activations are exported.
# name: (activation module, Linear class, biases)
VARIANTS = {
    "gelu": (nn.GELU(), nn.Linear, False),                       # Div -> Erf -> Add -> Mul -> Mul; MatMul experts (no bias)
    "silu": (nn.SiLU(), MatMulLinear, True),                     # x * Sigmoid(x); MatMul -> Add experts
    "gelutanh": (nn.GELU(approximate="tanh"), nn.Linear, True),  # the tanh approximation written out; Gemm experts
}
VARIANT_HIDDEN, VARIANT_INTER, VARIANT_EXPERTS = 16, 24, 4


class GatedExpert(nn.Module):
    """One gated expert for the scripted form: fc2(act(fc1(x)) * fc3(x))."""

    def __init__(self, fc1, fc2, fc3, act):
        super().__init__()
        self.fc1, self.fc2, self.fc3, self.act = fc1, fc2, fc3, act

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)) * self.fc3(x))


class Expert(nn.Module):
    """One expert for the scripted form: fc2(act(fc1(x))), sharing a trained model's layers."""

    def __init__(self, fc1, fc2, act):
        super().__init__()
        self.fc1, self.fc2, self.act = fc1, fc2, act

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class ScriptedMoe(nn.Module):
    """The sparse layer written for torch.jit.script (form c): per expert `if tokens.shape[0] > 0:` around the expert,
    which scripting exports as NonZero -> Shape -> Greater -> If with the expert in the then-branch."""

    def __init__(self, model, act):
        super().__init__()
        self.router = model.router
        self.experts = nn.ModuleList(Expert(f1, f2, act) for f1, f2 in zip(model.fc1, model.fc2)) if model.fc3 is None else \
            nn.ModuleList(GatedExpert(f1, f2, f3, act) for f1, f2, f3 in zip(model.fc1, model.fc2, model.fc3))
        self.head = model.head
        self.k, self.normalize = model.k, model.normalize

    def forward(self, x):
        probs = torch.softmax(self.router(x), dim=-1)
        weights, index = torch.topk(probs, self.k, dim=-1)
        if self.normalize:
            weights = weights / weights.sum(dim=-1, keepdim=True)
        y = torch.zeros_like(x)
        e = 0
        for expert in self.experts:
            routes = torch.nonzero(index == e)          # TorchScript has no as_tuple
            token, slot = routes[:, 0], routes[:, 1]
            if token.shape[0] > 0:
                out = expert(x[token]) * weights[token, slot].unsqueeze(-1)
                y = y.index_add(0, token, out)
            e += 1
        return self.head(y)


class ScriptedSequence(nn.Module):
    """The scripted layer on [batch, seq, hidden]: the tokens flattened inside the graph."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        b, t, h = x.shape[0], x.shape[1], x.shape[2]
        return self.inner(x.reshape(-1, h)).reshape(b, t, -1)


def export_scripted(model, path, sequence=False):
    """Form (c): torch.onnx.export of the torch.jit.script'ed layer (control flow kept as If nodes)."""
    model.eval()
    layer = ScriptedMoe(model, nn.ReLU() if model.act is None else model.act).eval()
    scripted = torch.jit.script(ScriptedSequence(layer).eval() if sequence else layer)
    x = torch.rand(2, 3, model.router.in_features) if sequence else torch.rand(3, model.router.in_features)
    with torch.no_grad():
        model.sparse = True
        diff = float((scripted(x) - model(x)).abs().max())
        model.sparse = False
    if diff > 1e-5:
        raise SystemExit(f"scripted and traced sparse layers differ by {diff}")
    axes = {0: "batch", 1: "seq"} if sequence else {0: "batch"}
    torch.onnx.export(scripted, (x,), path, export_params=True, input_names=["input"], output_names=["logits"],
                      opset_version=OPSET, do_constant_folding=True, dynamic_axes={"input": axes, "logits": axes})
    onnx.checker.check_model(onnx.load(path))


def contrib_model(model, path):
    """The same network with com.microsoft::MoE, built by hand."""
    E, k = model.experts, model.k
    f32 = lambda t: t.detach().numpy().astype(np.float32)
    inits = [
        onh.from_array(f32(model.router.weight).T.copy(), "router_weight"),                               # [64, E]
        onh.from_array(np.stack([f32(l.weight) for l in model.fc1]), "fc1_experts_weights"),             # [E, I, 64]
        onh.from_array(np.stack([f32(l.bias) for l in model.fc1]), "fc1_experts_bias"),                  # [E, I]
        onh.from_array(np.stack([f32(l.weight) for l in model.fc2]), "fc2_experts_weights"),             # [E, 64, I]
        onh.from_array(np.stack([f32(l.bias) for l in model.fc2]), "fc2_experts_bias"),                  # [E, 64]
        onh.from_array(f32(model.head.weight), "head_weight"),
        onh.from_array(f32(model.head.bias), "head_bias"),
    ]
    nodes = [
        oh.make_node("MatMul", ["input", "router_weight"], ["router_logits"], name="router"),
        oh.make_node("MoE", ["input", "router_logits", "fc1_experts_weights", "fc1_experts_bias",
                             "fc2_experts_weights", "fc2_experts_bias"], ["moe_out"], name="moe",
                     domain="com.microsoft", k=k, activation_type="relu",
                     normalize_routing_weights=model.normalize),
        oh.make_node("Gemm", ["moe_out", "head_weight", "head_bias"], ["logits"], name="head", transB=1),
    ]
    graph = oh.make_graph(nodes, "moe_classifier",
                          [oh.make_tensor_value_info("input", onnx.TensorProto.FLOAT, ["batch", HIDDEN])],
                          [oh.make_tensor_value_info("logits", onnx.TensorProto.FLOAT, ["batch", 10])], inits)
    m = oh.make_model(graph, opset_imports=[oh.make_opsetid("", OPSET), oh.make_opsetid("com.microsoft", 1)],
                      producer_name="make_moe.py")
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, path)


def layer_model(model, stem):
    """The MoE layer alone for the layer benchmark: com.microsoft::MoE with inputs input [tokens, hidden] and
    router_logits [tokens, E], output y; and stem.bin, the same weights as raw little-endian float32 for our kernel:
    fc1 weights [E, I, H], fc1 bias [E, I], fc2 weights [E, H, I], fc2 bias [E, H], one after the other."""
    E, k, hidden = model.experts, model.k, model.router.in_features
    f32 = lambda t: t.detach().numpy().astype(np.float32)
    tensors = [np.stack([f32(l.weight) for l in model.fc1]), np.stack([f32(l.bias) for l in model.fc1]),
               np.stack([f32(l.weight) for l in model.fc2]), np.stack([f32(l.bias) for l in model.fc2])]
    names = ["fc1_experts_weights", "fc1_experts_bias", "fc2_experts_weights", "fc2_experts_bias"]
    node = oh.make_node("MoE", ["input", "router_logits"] + names, ["y"], name="moe", domain="com.microsoft", k=k,
                        activation_type="relu", normalize_routing_weights=model.normalize)
    graph = oh.make_graph([node], "moe_layer",
                          [oh.make_tensor_value_info("input", onnx.TensorProto.FLOAT, ["tokens", hidden]),
                           oh.make_tensor_value_info("router_logits", onnx.TensorProto.FLOAT, ["tokens", E])],
                          [oh.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["tokens", hidden])],
                          [onh.from_array(t, n) for t, n in zip(tensors, names)])
    m = oh.make_model(graph, opset_imports=[oh.make_opsetid("", OPSET), oh.make_opsetid("com.microsoft", 1)],
                      producer_name="make_moe.py")
    m.ir_version = 8
    onnx.save(m, stem + ".onnx")
    with open(stem + ".bin", "wb") as f:
        for t in tensors:
            f.write(np.ascontiguousarray(t, dtype="<f4").tobytes())


def qlayer_model(model, stem):
    """The same layer as com.microsoft::QMoE with 8-bit weights for the int8 layer benchmark: each expert's rows quantized
    symmetrically (scale max|w| / 127 per output row, q = round(w / scale) + 128, ONNX Runtime's w = (q - 128) * scale),
    inputs input and router_logits as in layer_model, output y; and stem.qbin, raw little-endian: fc1 uint8 [E, I, H],
    fc1 scales float32 [E, I], fc1 bias [E, I], fc2 uint8 [E, H, I], fc2 scales [E, H], fc2 bias [E, H]."""
    E, k, hidden = model.experts, model.k, model.router.in_features
    f32 = lambda t: t.detach().numpy().astype(np.float32)

    def quantize(w):
        amax = np.abs(w).max(axis=2)
        scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
        q = np.clip(np.rint(w / scale[:, :, None]), -127, 127).astype(np.int32) + 128
        return q.astype(np.uint8), scale

    q1, s1 = quantize(np.stack([f32(l.weight) for l in model.fc1]))
    q2, s2 = quantize(np.stack([f32(l.weight) for l in model.fc2]))
    b1, b2 = np.stack([f32(l.bias) for l in model.fc1]), np.stack([f32(l.bias) for l in model.fc2])
    tensors = [q1, s1, b1, q2, s2, b2]
    names = ["fc1_experts_weights", "fc1_scales", "fc1_experts_bias", "fc2_experts_weights", "fc2_scales", "fc2_experts_bias"]
    node = oh.make_node("QMoE", ["input", "router_logits"] + names, ["y"], name="qmoe", domain="com.microsoft", k=k,
                        activation_type="relu", normalize_routing_weights=1, expert_weight_bits=8)
    graph = oh.make_graph([node], "qmoe_layer",
                          [oh.make_tensor_value_info("input", onnx.TensorProto.FLOAT, ["tokens", hidden]),
                           oh.make_tensor_value_info("router_logits", onnx.TensorProto.FLOAT, ["tokens", E])],
                          [oh.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["tokens", hidden])],
                          [onh.from_array(t, n) for t, n in zip(tensors, names)])
    m = oh.make_model(graph, opset_imports=[oh.make_opsetid("", OPSET), oh.make_opsetid("com.microsoft", 1)],
                      producer_name="make_moe.py")
    m.ir_version = 8
    onnx.save(m, stem + ".onnx")
    with open(stem + ".qbin", "wb") as f:
        for t in tensors:
            f.write(np.ascontiguousarray(t, dtype=t.dtype.newbyteorder("<")).tobytes())


def qmoe_from_contrib(src, path, bits):
    """The committed contrib model with its MoE node rewritten as com.microsoft::QMoE of expert_weight_bits bits: each
    expert's rows quantized symmetrically per output row (8-bit: scale max|w| / 127, q = round(w / scale) + 128; 4-bit:
    scale max|w| / 7, q = round(w / scale) + 8, two per byte, low nibble first), ONNX Runtime's w = (q - 128 or 8) * scale.
    The router, biases and head are the trained float ones."""
    m = onnx.load(src)
    inits = {t.name: t for t in m.graph.initializer}
    node = next(n for n in m.graph.node if n.op_type == "MoE")
    zero, top = (128, 127) if bits == 8 else (8, 7)

    def quantize(name):
        w = onh.to_array(inits[name]).astype(np.float32)
        amax = np.abs(w).max(axis=2)
        scale = np.where(amax > 0, amax / float(top), 1.0).astype(np.float32)
        q = (np.clip(np.rint(w / scale[:, :, None]), -top, top).astype(np.int32) + zero).astype(np.uint8)
        if bits == 4:
            q = (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8)
        return q, scale

    q1, s1 = quantize(node.input[2])
    q2, s2 = quantize(node.input[4])
    names = ["fc1_q", "fc1_scales", node.input[3], "fc2_q", "fc2_scales", node.input[5]]
    keep = [t for t in m.graph.initializer if t.name not in (node.input[2], node.input[4])]
    del m.graph.initializer[:]
    m.graph.initializer.extend(keep + [onh.from_array(q1, "fc1_q"), onh.from_array(s1, "fc1_scales"),
                                       onh.from_array(q2, "fc2_q"), onh.from_array(s2, "fc2_scales")])
    attrs = {a.name: oh.get_attribute_value(a) for a in node.attribute}
    qnode = oh.make_node("QMoE", list(node.input[:2]) + names, list(node.output), name="qmoe", domain="com.microsoft",
                         k=attrs["k"], activation_type=attrs["activation_type"],
                         normalize_routing_weights=attrs.get("normalize_routing_weights", 0), expert_weight_bits=bits)
    index = list(m.graph.node).index(node)
    m.graph.node.remove(node)
    m.graph.node.insert(index, qnode)
    onnx.checker.check_model(m)
    onnx.save(m, path)


def export(model, sparse, path, sequence=False):
    model.eval()
    model.sparse = sparse
    axes = {0: "batch", 1: "seq"} if sequence else {0: "batch"}
    kwargs = dict(export_params=True, input_names=["input"], output_names=["logits"], opset_version=OPSET,
                  do_constant_folding=True, dynamic_axes={"input": axes, "logits": axes})
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    x = torch.rand(2, 3, model.router.in_features) if sequence else torch.rand(3, model.router.in_features)
    torch.onnx.export(model, x, path, **kwargs)
    model.sparse = False
    onnx.checker.check_model(onnx.load(path))


def describe(path):
    m = onnx.load(path)
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    print(f"  {os.path.basename(path)}: {os.path.getsize(path)} bytes, {len(m.graph.node)} nodes: "
          + ", ".join(f"{k} x{v}" for k, v in sorted(ops.items())))


def train(E, k, normalize, x_train, t_train, x_test, t_test):
    set_determinism(SEED + 100 * E + k)
    model = Moe(E, k, normalize)
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(1, EPOCHS + 1):
        model.train()
        perm = torch.randperm(len(t_train), generator=gen)
        for i in range(0, len(perm), BATCH_SIZE):
            idx = perm[i:i + BATCH_SIZE]
            opt.zero_grad()
            xb = x_train[idx]
            probs = torch.softmax(model.router(xb), dim=-1)
            share = nn.functional.one_hot(probs.argmax(-1), E).float().mean(0)
            balance = E * (share * probs.mean(0)).sum()
            (loss_fn(model(xb), t_train[idx]) + BALANCE * balance).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        dense = model(x_test)
        model.sparse = True
        sparse = model(x_test)
        model.sparse = False
        routed = model.route(x_test)[1]
    acc = (dense.argmax(1) == t_test).float().mean().item()
    use = np.bincount(routed.flatten().numpy(), minlength=E)
    print(f"E={E} k={k} normalize={normalize}: held-out accuracy {acc:.4f}, "
          f"dense vs sparse max |diff| {float((dense - sparse).abs().max()):.2e}, expert use on held-out {use.tolist()}")
    if acc < MIN_ACCURACY:
        raise SystemExit(f"accuracy {acc:.4f} below {MIN_ACCURACY}")
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", metavar="DIR", help="write untrained benchmark models into DIR instead")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--inter", type=int, default=256)
    parser.add_argument("--experts", default="4,8,16,32", help="with --bench: the numbers of experts")
    parser.add_argument("--forms", default="contrib,dense,sparse", help="with --bench: which forms to write")
    parser.add_argument("--variants", action="store_true", help="write only the untrained activation/layer variants")
    parser.add_argument("--layer", metavar="DIR", help="write the untrained MoE layers alone (contrib MoE and 8-bit QMoE + raw weights) into DIR")
    parser.add_argument("--qmoe", action="store_true", help="write only moe_e4k2_qmoe{8,4}.onnx from the committed contrib model")
    args = parser.parse_args()

    if args.qmoe:
        for bits in (8, 4):
            path = os.path.join(HERE, f"moe_e4k2_qmoe{bits}.onnx")
            qmoe_from_contrib(os.path.join(HERE, "moe_e4k2_contrib.onnx"), path, bits)
            describe(path)
        return

    if args.variants:
        for name, (act, linear, bias) in VARIANTS.items():
            set_determinism(SEED + len(name))
            lin = linear if bias else (lambda i, o, cls=linear: cls(i, o, bias=False))
            model = Moe(VARIANT_EXPERTS, 2, 1, hidden=VARIANT_HIDDEN, inter=VARIANT_INTER, act=act, linear=lin).eval()
            stem = os.path.join(HERE, f"moe_{name}")
            export(model, False, stem + "_dense.onnx")
            export(model, True, stem + "_sparse.onnx")
            export_scripted(model, stem + "_scripted.onnx")
            for form in ("dense", "sparse", "scripted"):
                describe(f"{stem}_{form}.onnx")
        # Mixtral's experts: fc2(silu(fc1 x) * fc3 x), bias-free MatMuls.
        set_determinism(SEED + 5)
        bare = lambda i, o: nn.Linear(i, o, bias=False)
        model = Moe(VARIANT_EXPERTS, 2, 1, hidden=VARIANT_HIDDEN, inter=VARIANT_INTER, act=nn.SiLU(), linear=bare).gate_up(bare).eval()
        stem = os.path.join(HERE, "moe_swiglu")
        export(model, False, stem + "_dense.onnx")
        export(model, True, stem + "_sparse.onnx")
        export_scripted(model, stem + "_scripted.onnx")
        for form in ("dense", "sparse", "scripted"):
            describe(f"{stem}_{form}.onnx")
        # [batch, seq, hidden] input, the tokens flattened inside the graph (relu experts, Gemm).
        set_determinism(SEED + 3)
        model = Moe(VARIANT_EXPERTS, 2, 1, hidden=VARIANT_HIDDEN, inter=VARIANT_INTER).eval()
        stem = os.path.join(HERE, "moe_seq")
        export(model, True, stem + "_sparse.onnx", sequence=True)
        export_scripted(model, stem + "_scripted.onnx", sequence=True)
        for form in ("sparse", "scripted"):
            describe(f"{stem}_{form}.onnx")
        return

    if args.layer:
        os.makedirs(args.layer, exist_ok=True)
        for E in (int(e) for e in args.experts.split(",")):
            set_determinism(SEED + E)
            model = Moe(E, 2, 1, hidden=args.hidden, inter=args.inter)
            layer_model(model, os.path.join(args.layer, f"moe_layer_h{args.hidden}_i{args.inter}_e{E}"))
            qlayer_model(model, os.path.join(args.layer, f"moe_qlayer_h{args.hidden}_i{args.inter}_e{E}"))
            print(f"  moe_layer_h{args.hidden}_i{args.inter}_e{E} (float MoE) and moe_qlayer_... (QMoE 8-bit): "
                  f"{E} experts of {args.hidden} -> {args.inter} -> {args.hidden}")
        return

    if args.bench:
        global HIDDEN
        HIDDEN = args.hidden
        os.makedirs(args.bench, exist_ok=True)
        forms = args.forms.split(",")
        for E in (int(e) for e in args.experts.split(",")):
            set_determinism(SEED + E)
            model = Moe(E, 2, 1, hidden=args.hidden, inter=args.inter)
            stem = os.path.join(args.bench, f"moe_bench_e{E}")
            if "contrib" in forms:
                contrib_model(model, stem + "_contrib.onnx")
            if "dense" in forms:
                export(model, False, stem + "_dense.onnx")
                describe(stem + "_dense.onnx")
            if "sparse" in forms:
                export(model, True, stem + "_sparse.onnx")
                describe(stem + "_sparse.onnx")
        return

    digits = load_digits()
    pixels = digits.data.astype(np.int64)
    labels = digits.target.astype(np.int64)
    px_train, px_test, y_train, y_test = train_test_split(
        pixels, labels, test_size=TEST_FRACTION, stratify=labels, random_state=SPLIT_SEED)
    to_x = lambda p: torch.from_numpy(p.astype(np.float32) / 16.0)
    x_train, t_train, x_test, t_test = to_x(px_train), torch.from_numpy(y_train), to_x(px_test), torch.from_numpy(y_test)

    for E, k, normalize in CONFIGS:
        model = train(E, k, normalize, x_train, t_train, x_test, t_test)
        stem = os.path.join(HERE, f"moe_e{E}k{k}")
        contrib_model(model, stem + "_contrib.onnx")
        export(model, False, stem + "_dense.onnx")
        export(model, True, stem + "_sparse.onnx")
        forms = ["contrib", "dense", "sparse"]
        if (E, k) == (4, 2):
            export(model, "onehot", stem + "_onehot.onnx")
            export_scripted(model, stem + "_scripted.onnx")
            forms += ["onehot", "scripted"]
        for form in forms:
            describe(f"{stem}_{form}.onnx")


if __name__ == "__main__":
    main()
