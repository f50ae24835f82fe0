#!/usr/bin/python3
"""Writes mlp_784_128_10.onnx next to this script: a 784-128-10 MLP (Gemm, Relu, Gemm) with seeded
random weights, the size of an MNIST classifier. Only its shape matters for the benchmark.

    /usr/bin/python3 benchmarks/EfficientAI.Benchmarks/models/make_mlp.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(20261202)
w1 = (rng.standard_normal((784, 128)) * np.sqrt(2.0 / 784)).astype(np.float32)
b1 = (rng.standard_normal(128) * 0.01).astype(np.float32)
w2 = (rng.standard_normal((128, 10)) * np.sqrt(2.0 / 128)).astype(np.float32)
b2 = (rng.standard_normal(10) * 0.01).astype(np.float32)
graph = helper.make_graph(
    [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1"),
        helper.make_node("Relu", ["h"], ["r"], name="relu1"),
        helper.make_node("Gemm", ["r", "w2", "b2"], ["logits"], name="fc2"),
    ],
    "mlp",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 784])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
    [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
     numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(b2, "b2")],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_mlp.py")
model.ir_version = 7
onnx.checker.check_model(model)
onnx.save(model, os.path.join(os.path.dirname(os.path.abspath(__file__)), "mlp_784_128_10.onnx"))
