#!/usr/bin/python3
"""The result tables of docs/distillation.md: teacher, distilled student, the same student on hard labels only,
and the distilled student after the generator's Quantize="int8" and Prune="0.5", over five seeds.

Run from the repository root after `/usr/bin/python3 models/make_distill_data.py` and
`dotnet build src/EfficientAI.Distill -c Release`:

    /usr/bin/python3 models/distill_table.py [digits|shifted ...]

Students go to artifacts/distill/students, named by a hash of their training command; a student whose file
exists is not trained again (delete the folder to retrain). One JSON line per evaluation goes to
artifacts/distill/results.jsonl.
Accuracy is on the held-out split, computed by the generated code (the student compiled by the generator).
"""

import hashlib
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
                    train=["--epochs", "60", "--batch", "32", "--lr", "2e-3"], kd=["--temperature", "4", "--alpha", "0.9"],
                    # Soft targets only, on the teacher's own 5,748 inputs without their labels: a quarter of the
                    # epochs, so the same number of steps as the labelled runs on 1,437.
                    transfer=dict(data="shifted_teacher_x", train=["--epochs", "15", "--batch", "32", "--lr", "2e-3"],
                                  kd=["--temperature", "4"])),
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


def train(args, name):
    """Trains unless a student from the same command exists; returns its path."""
    key = hashlib.sha256("\0".join(args).encode()).hexdigest()[:12]
    path = f"{STUDENTS}/{name}_{key}.onnx"
    if not os.path.exists(path):
        run(args + ["-o", path])
    return path


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
    rows = {"kd": [], "hard": [], "int8": [], "prune": [], "transfer": []}
    transfer = cfg.get("transfer")
    for seed in SEEDS:
        kd = train(common + cfg["kd"] + ["--seed", str(seed)], f"{task}_kd_s{seed}")
        hard = train(common + ["--alpha", "0", "--seed", str(seed)], f"{task}_hard_s{seed}")
        if transfer:
            t = train([cfg["teacher"], "--student", cfg["student"], "--data", f"{DATA}/{transfer['data']}.npy"]
                      + transfer["train"] + transfer["kd"] + ["--seed", str(seed)], f"{task}_transfer_s{seed}")
            rows["transfer"].append(evaluate(task, t, log))
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
    ]
    if transfer:
        lines.append(row(f"`{s}` distilled on {transfer['data']} without labels ({' '.join(transfer['train'] + transfer['kd'])})", rows["transfer"]))
    lines.append("")
    return "\n".join(lines)


def main():
    tasks = sys.argv[1:] or list(TASKS)
    os.makedirs(DATA, exist_ok=True)
    with open(os.path.join(DATA, "results.jsonl"), "a") as log:
        for task in tasks:
            print(table(task, log))


if __name__ == "__main__":
    main()
