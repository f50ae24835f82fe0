#!/usr/bin/python3
"""The result tables of docs/distillation.md: teacher, distilled student, the same student on hard labels only,
and the distilled student after the generator's Quantize="int8" and Prune="0.5", over five seeds.

Run from the repository root after `/usr/bin/python3 models/make_distill_data.py` and
`dotnet build src/EfficientAI.Distill -c Release`:

    /usr/bin/python3 models/distill_table.py [digits|shifted ...]

Students go to artifacts/distill/students; one JSON line per evaluation to artifacts/distill/results.jsonl.
Accuracy is on the held-out split, computed by the generated code (the student compiled by the generator).
"""

import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DATA = os.path.join(ROOT, "artifacts", "distill")
STUDENTS = os.path.join(DATA, "students")
TOOL = os.path.join(ROOT, "src", "EfficientAI.Distill", "bin", "Release", "net10.0", "EfficientAI.Distill")
SEEDS = [1, 2, 3, 4, 5]

TASKS = {
    "digits": dict(teacher="models/digits_cnn.onnx", student="mlp:64-32",
                   train=["--epochs", "100", "--batch", "32", "--lr", "3e-3"], kd=["--temperature", "4", "--alpha", "0.7"]),
    "shifted": dict(teacher="models/shifted_digits_cnn.onnx", student="cnn:c8k3-p2-c16k3-p2-f32",
                    train=["--epochs", "60", "--batch", "32", "--lr", "2e-3"], kd=["--temperature", "4", "--alpha", "0.9"]),
}


def run(args):
    r = subprocess.run([TOOL] + args, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"eai-distill {' '.join(args)} failed ({r.returncode}):\n{r.stderr}")
    return r.stdout


def evaluate(task, model, log, **options):
    args = ["evaluate", model, "--data", f"{DATA}/{task}_test_x.npy", "--labels", f"{DATA}/{task}_test_y.npy", "--json"]
    for k, v in options.items():
        args += [f"--{k}", v]
    result = json.loads(run(args))
    log.write(json.dumps(dict(task=task, **result)) + "\n")
    return result


def row(name, results, spread=True):
    acc = [100 * r["accuracy"] for r in results]
    mean = statistics.mean(acc)
    std = statistics.stdev(acc) if len(acc) > 1 else 0.0
    lat = statistics.median(r["latencyUs"] for r in results)
    r0 = results[0]
    accuracy = f"{mean:.2f} +/- {std:.2f}" if spread and len(acc) > 1 else f"{mean:.2f}"
    return f"| {name} | {accuracy} | {r0['parameters']:,} | {r0['romBytes']:,} | {r0['ramBytes']:,} | {r0['macs']:,} | {lat:.2f} |"


def table(task, log):
    cfg = TASKS[task]
    os.makedirs(STUDENTS, exist_ok=True)
    common = [cfg["teacher"], "--student", cfg["student"], "--data", f"{DATA}/{task}_train_x.npy",
              "--labels", f"{DATA}/{task}_train_y.npy"] + cfg["train"]
    rows = {"kd": [], "hard": [], "int8": [], "prune": []}
    for seed in SEEDS:
        kd = f"{STUDENTS}/{task}_kd_s{seed}.onnx"
        hard = f"{STUDENTS}/{task}_hard_s{seed}.onnx"
        run(common + cfg["kd"] + ["--seed", str(seed), "-o", kd])
        run(common + ["--alpha", "0", "--seed", str(seed), "-o", hard])
        rows["kd"].append(evaluate(task, kd, log))
        rows["hard"].append(evaluate(task, hard, log))
        rows["int8"].append(evaluate(task, kd, log, quantize="int8"))
        rows["prune"].append(evaluate(task, kd, log, prune="0.5"))
        print(f"{task} seed {seed}: kd {rows['kd'][-1]['accuracy']:.4f}, hard {rows['hard'][-1]['accuracy']:.4f}, "
              f"int8 {rows['int8'][-1]['accuracy']:.4f}, prune {rows['prune'][-1]['accuracy']:.4f}", file=sys.stderr)
    teacher = evaluate(task, cfg["teacher"], log)
    s = cfg["student"]
    kd_opts = " ".join(cfg["kd"])
    lines = [
        f"{task}: student `{s}`, {' '.join(cfg['train'])}; distilled with {kd_opts}; seeds {SEEDS[0]}-{SEEDS[-1]}",
        "",
        "| model | accuracy % (mean +/- std) | parameters | ROM bytes | RAM (arena) bytes | MACs | latency us (median) |",
        "|---|---|---|---|---|---|---|",
        row(f"teacher `{os.path.basename(cfg['teacher'])}`", [teacher], spread=False),
        row(f"`{s}` distilled", rows["kd"]),
        row(f"`{s}` hard labels only", rows["hard"]),
        row(f"`{s}` distilled, Quantize=\"int8\"", rows["int8"]),
        row(f"`{s}` distilled, Prune=\"0.5\"", rows["prune"]),
        "",
    ]
    return "\n".join(lines)


def main():
    tasks = sys.argv[1:] or list(TASKS)
    os.makedirs(DATA, exist_ok=True)
    with open(os.path.join(DATA, "results.jsonl"), "a") as log:
        for task in tasks:
            print(table(task, log))


if __name__ == "__main__":
    main()
