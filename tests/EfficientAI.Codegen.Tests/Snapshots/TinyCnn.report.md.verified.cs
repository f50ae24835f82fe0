# report_model.onnx -> `Snapshots.TinyCnn`

| # | op | node | output shape | MACs | weights (B) | arena offset | arena (B) | fused |
|---:|---|---|---|---:|---:|---:|---:|---|
| 0 | Conv | conv_0 | [1,2,6,6] | 648 | 80 | 1,728 | 320 | Relu |
| 1 | MaxPool | maxpool_2 | [1,2,3,3] | 0 | 0 | 0 | 128 |  |
| 2 | Flatten | flatten_3 | [1,18] | 0 | 0 | output | 0 |  |

- ROM (embedded weights): 80 B
- RAM (arena): 2,048 B (lower bound 2,048 B, no reuse 2,176 B); inputs 144 B and outputs 72 B are the caller's
- MACs per inference: 648

![Arena use per layer](TinyCnn.report.svg)
