#!/usr/bin/env python3
"""A randomized soak of the easynets tool on mutated inputs: model descriptions, training
checkpoints (MLP, CNN and language model), text folders and CSV files, each mutated (bytes
flipped, ranges cut or repeated, numbers replaced by extreme values) and given to a command
(train, evaluate, predict, summary, generate) under an address-space limit and a time limit.

Every run must end with exit status 0 or a one-line error and status 1 (or the argument
parser's 64); anything else is counted:
  crash          killed by a signal, or a trap's "Fatal error" / crash report on stderr
  over budget    an allocation failed ("failed to allocate", std::bad_alloc, or killed while
                 allocating): the tool's memory check let through more than the process may use
  hang           still running after --timeout seconds
The inputs of every counted run are kept in --out for replay. The summary's last line reads
"N passed, M failed".

Usage: swift build -c release --product easynets
       python3 scripts/soak.py --minutes 30 [--tool .build/release/easynets] [--seed 1]
       [--address-space-mb 4000] [--timeout 60] [--out .build/soak]
"""
import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CORPUS = os.path.join(ROOT, "Tests", "Fuzz", "Corpus")
INTERESTING = ["0", "-1", "1", "3", "65536", "1048576", "1099511627776", "4611686018427387904", "-4611686018427387904",
               "2147483647", "1e308", "-1e308", "1e-320", "0.5", "NaN", "true", "null", "\"x\"", "[]", "{}"]


def mutate(data, rng):
    """One to four random edits of `data` (bytes)."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        if kind < 0.35:  # a number in text replaced by an extreme value
            text = bytes(data)
            numbers = [m.span() for m in re.finditer(rb"-?\d+(\.\d+)?(e-?\d+)?", text)]
            if numbers:
                start, end = rng.choice(numbers)
                data[start:end] = rng.choice(INTERESTING).encode()
                continue
        if not data:
            data += bytes([rng.randrange(256)])
        elif kind < 0.55:  # random bytes flipped
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif kind < 0.7:  # a range cut
            start = rng.randrange(len(data))
            del data[start:start + rng.randint(1, 64)]
        elif kind < 0.85:  # a range repeated
            start = rng.randrange(len(data))
            chunk = data[start:start + rng.randint(1, 256)]
            data[start:start] = chunk * rng.randint(1, 8)
        else:  # truncated
            del data[rng.randrange(len(data)):]
    return bytes(data)


def files(folder):
    path = os.path.join(CORPUS, folder)
    return [os.path.join(path, name) for name in sorted(os.listdir(path))]


def make_case(rng, work):
    """A (command line, inputs written) pair with fresh mutated inputs in `work`."""
    def mutated(source, name):
        path = os.path.join(work, name)
        with open(source, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(mutate(data, rng) if rng.random() < 0.9 else data)
        return path

    kind = rng.choice(["description", "checkpoint", "text", "csv"])
    if kind == "description":
        model = mutated(rng.choice(files("model")), "model.json")
        return rng.choice([
            ["summary", "--model", model, "--input-shape", rng.choice(["2", "3", "1,8,8", "784", "1,28,28", "16"])],
            ["train", "--dataset", "spirals", "--model", model, "--epochs", "1", "--limit", "64", "--threads", "1"],
            ["train", "--model", model, "--epochs", "1", "--limit", "32", "--threads", "1"],
        ])
    if kind == "checkpoint":
        checkpoint = mutated(rng.choice(files("checkpoint")), "run.safetensors")
        return rng.choice([
            ["summary", "--checkpoint", checkpoint],
            ["evaluate", "--checkpoint", checkpoint, "--dataset", "spirals"],
            ["evaluate", "--checkpoint", checkpoint],
            ["predict", "--checkpoint", checkpoint, "--index", rng.choice(["0", "0,1,2", "9999"])],
            ["predict", "--checkpoint", checkpoint, "--dataset", "spirals", "--index", "0,5"],
            ["generate", "--checkpoint", checkpoint, "--length", "20", "--prompt", rng.choice(["a", "The ", "x" * 5000])],
            ["train", "--resume", checkpoint, "--dataset", "spirals", "--epochs", "3", "--threads", "1"],
            ["train", "--resume", checkpoint, "--dataset", "text", "--text-dir", text_folder(rng, work), "--epochs", "2",
             "--threads", "1"],
        ])
    if kind == "text":
        return ["train", "--dataset", "text", "--text-dir", text_folder(rng, work), "--epochs", "1", "--threads", "1",
                "--sequence-length", rng.choice(["4", "16", "64"]), "--batch-size", "8",
                "--model", rng.choice(["char-lstm", "char-transformer"])]
    train = mutated(rng.choice(files("csv")), "train.csv")
    test = mutated(rng.choice(files("csv")), "test.csv")
    return ["train", "--dataset", "csv", "--train-file", train, "--test-file", test, "--label-column", "-1", "--epochs", "1",
            "--threads", "1"]


def text_folder(rng, work):
    folder = os.path.join(work, "text")
    os.makedirs(folder, exist_ok=True)
    for i, source in enumerate(rng.sample(files("text"), k=len(files("text")))):
        with open(source, "rb") as f:
            data = f.read()
        with open(os.path.join(folder, f"fortunes{i}"), "wb") as f:
            f.write(mutate(data, rng) if rng.random() < 0.8 else data)
    return folder


def classify(returncode, stderr, timed_out):
    if timed_out:
        return "hang"
    allocation = re.search(r"failed to allocate|bad_alloc|Cannot allocate memory|out of memory", stderr)
    if allocation:
        return "over budget"
    if returncode < 0 or "Fatal error" in stderr or "Crash" in stderr or "💣" in stderr:
        return "crash"
    if returncode == 0 or returncode == 64:
        return "ok"
    if returncode == 1:
        lines = [line for line in stderr.splitlines() if line.strip()]
        return "ok" if lines else "crash"
    return "crash"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--tool", default=os.path.join(ROOT, ".build", "release", "easynets"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--address-space-mb", type=int, default=4000, help="ulimit -v for each run")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--out", default=os.path.join(ROOT, ".build", "soak"))
    args = parser.parse_args()
    args.tool = os.path.abspath(args.tool)
    if not os.access(args.tool, os.X_OK):
        sys.exit(f"soak: no tool at {args.tool}; build it with: swift build -c release --product easynets")
    os.makedirs(args.out, exist_ok=True)
    limit = args.address_space_mb << 20

    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    rng = random.Random(args.seed)
    counts, by_command, kept = {}, {}, 0
    deadline = time.monotonic() + args.minutes * 60
    longest = 0.0
    while time.monotonic() < deadline:
        work = tempfile.mkdtemp(prefix="easynets-soak-")
        try:
            command = make_case(rng, work)
            start = time.monotonic()
            try:
                run = subprocess.run([args.tool] + command, cwd=work, capture_output=True, timeout=args.timeout,
                                     preexec_fn=limits)
                returncode, stderr, timed_out = run.returncode, run.stderr.decode("utf-8", "replace"), False
            except subprocess.TimeoutExpired as expired:
                returncode, stderr, timed_out = None, (expired.stderr or b"").decode("utf-8", "replace"), True
            longest = max(longest, time.monotonic() - start)
            outcome = classify(returncode, stderr, timed_out)
            counts[outcome] = counts.get(outcome, 0) + 1
            name = command[0]
            by_command.setdefault(name, {}).setdefault(outcome, 0)
            by_command[name][outcome] += 1
            if outcome != "ok":
                kept += 1
                case = os.path.join(args.out, f"{outcome.replace(' ', '-')}-{kept}")
                shutil.copytree(work, case)
                with open(os.path.join(case, "command.json"), "w") as f:
                    json.dump({"command": command, "returncode": returncode, "stderr": stderr[-4000:]}, f, indent=1)
                print(f"soak: {outcome}: easynets {' '.join(command)} (kept in {case})", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    runs = sum(counts.values())
    print(f"soak: {runs} runs in {args.minutes:g} min (seed {args.seed}, ulimit -v {args.address_space_mb} MB, "
          f"timeout {args.timeout:g} s; longest run {longest:.1f} s)")
    for name in sorted(by_command):
        print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in sorted(by_command[name].items())))
    bad = runs - counts.get("ok", 0)
    print(f"crashes {counts.get('crash', 0)}, over budget {counts.get('over budget', 0)}, hangs {counts.get('hang', 0)}")
    print(f"{runs - bad} passed, {bad} failed")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
