"""Reads an `easynets train --tensorboard DIR` folder with TensorBoard's EventAccumulator and
checks it against the run's --metrics file: every epoch value is a scalar `epoch/<name>` with
the epoch as its step and the value rounded to float32; `batch/*` scalars have increasing steps;
every parameter has `parameters/*` and `gradients/*` histograms each epoch; `model/summary` is a
text summary holding the layer table; the hyperparameters parse with the hparams plugin's own
metadata parser; and, with --serve, a TensorBoard server started on DIR lists the run and its
hyperparameters in its HParams dashboard's session groups. Prints PASS or the failures, exits 1
on failure.

Usage: check_events.py DIR METRICS.jsonl [--hparam NAME=VALUE ...] [--serve]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import numpy as np
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.util import tensor_util

FIXED = {"epoch", "seconds", "samples_per_second", "learning_rate"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("metrics")
    parser.add_argument("--hparam", action="append", default=[], help="NAME=VALUE expected among the hyperparameters")
    parser.add_argument("--serve", action="store_true", help="also ask a TensorBoard server's HParams dashboard")
    args = parser.parse_args()
    failures = []

    def check(condition, message):
        if not condition:
            failures.append(message)
        return condition

    accumulator = event_accumulator.EventAccumulator(
        args.directory, size_guidance={event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0, event_accumulator.TENSORS: 0}
    )
    accumulator.Reload()
    tags = accumulator.Tags()
    epochs = [json.loads(line) for line in open(args.metrics) if line.strip()]
    check(len(epochs) > 0, "the metrics file has no epochs")

    # Per-epoch scalars: the metrics file's values at the epochs' steps.
    scalar_tags = set(tags["scalars"])
    for name in sorted(set().union(*(e.keys() for e in epochs)) - {"epoch"}):
        tag = "epoch/" + name
        if not check(tag in scalar_tags, f"scalar {tag} missing"):
            continue
        written = {e.step: e.value for e in accumulator.Scalars(tag)}
        for record in epochs:
            expected = float(np.float32(record[name]))
            check(written.get(record["epoch"]) == expected,
                  f"{tag} at epoch {record['epoch']}: {written.get(record['epoch'])}, metrics file {expected}")
    # Per-step scalars.
    for tag in ["batch/loss", "batch/learning_rate", "batch/samples_per_second"]:
        if check(tag in scalar_tags, f"scalar {tag} missing"):
            steps = [e.step for e in accumulator.Scalars(tag)]
            check(steps == list(range(1, len(steps) + 1)), f"{tag} steps are not 1, 2, …: {steps[:10]}")
            check(all(np.isfinite(e.value) for e in accumulator.Scalars(tag)), f"{tag} has a non-finite value")
    if "batch/learning_rate" in scalar_tags:
        rates = {e.value for e in accumulator.Scalars("batch/learning_rate")}
        check(rates <= {float(np.float32(r["learning_rate"])) for r in epochs},
              f"batch/learning_rate values {sorted(rates)} are not the epochs' rates")

    # Histograms: one per parameter and per gradient, each epoch, with consistent fields.
    histogram_tags = set(tags["histograms"])
    parameters = {t[len("parameters/"):] for t in histogram_tags if t.startswith("parameters/")}
    check(len(parameters) >= 2, f"parameter histograms missing: {sorted(histogram_tags)}")
    for name in sorted(parameters):
        for kind in ["parameters", "gradients"]:
            tag = f"{kind}/{name}"
            if not check(tag in histogram_tags, f"histogram {tag} missing"):
                continue
            events = accumulator.Histograms(tag)
            check([e.step for e in events] == [r["epoch"] for r in epochs], f"{tag} steps {[e.step for e in events]}")
            for event in events:
                h = event.histogram_value
                check(sum(h.bucket) == h.num and h.num > 0 and h.min <= h.max and h.bucket_limit[-1] == h.max,
                      f"{tag} at step {event.step} is inconsistent")

    # The model summary, through the text plugin's tensor.
    if check("model/summary" in tags["tensors"], "text model/summary missing"):
        check(accumulator.SummaryMetadata("model/summary").plugin_data.plugin_name == "text", "model/summary is not a text summary")
        text = tensor_util.make_ndarray(accumulator.Tensors("model/summary")[0].tensor_proto).item().decode()
        check("Total parameters:" in text, "model/summary has no parameter count")

    # The hyperparameters, through the hparams plugin's parser.
    content = accumulator.PluginTagToContent(hparams_metadata.PLUGIN_NAME)
    if check(hparams_metadata.SESSION_START_INFO_TAG in content, "hparams session_start_info missing"):
        start = hparams_metadata.parse_session_start_info_plugin_data(content[hparams_metadata.SESSION_START_INFO_TAG])
        hparams = {k: v.WhichOneof("kind") and getattr(v, v.WhichOneof("kind")) for k, v in start.hparams.items()}
        check(len(hparams) >= 5, f"few hyperparameters: {hparams}")
        for pair in args.hparam:
            name, value = pair.split("=", 1)
            actual = hparams.get(name)
            check(actual is not None and str(actual).removesuffix(".0") == value, f"hyperparameter {name} is {actual}, expected {value}")
    if check(hparams_metadata.SESSION_END_INFO_TAG in content, "hparams session_end_info missing"):
        end = hparams_metadata.parse_session_end_info_plugin_data(content[hparams_metadata.SESSION_END_INFO_TAG])
        check(end.status == 1, f"session end status {end.status}, expected STATUS_SUCCESS")

    if args.serve:
        groups = served_session_groups(args.directory)
        check(len(groups) == 1 and len(groups[0]["hparams"]) == len(hparams),
              f"the HParams dashboard lists {len(groups)} session groups: {groups}")

    if failures:
        print(f"check_events: FAIL ({args.directory})")
        for failure in failures:
            print("  " + failure)
        sys.exit(1)
    print(f"check_events: PASS ({args.directory}: {len(epochs)} epochs, {len(scalar_tags)} scalar tags, "
          f"{len(histogram_tags)} histogram tags, {len(hparams)} hyperparameters)")


def served_session_groups(directory):
    """The session groups a TensorBoard server on `directory` lists in its HParams dashboard."""
    server = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", directory, "--port", "0", "--host", "localhost"],
                              stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        deadline = time.time() + 120
        port = None
        while port is None and time.time() < deadline:
            line = server.stderr.readline()
            if not line and server.poll() is not None:
                raise RuntimeError("tensorboard exited before serving")
            match = re.search(r"http://localhost:(\d+)/", line)
            port = match and match.group(1)
        request = {"experimentName": "", "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"],
                   "colParams": [], "startIndex": 0, "sliceSize": 100}
        for _ in range(30):  # the server loads the events in the background
            reply = urllib.request.urlopen(urllib.request.Request(
                f"http://localhost:{port}/data/plugin/hparams/session_groups", data=json.dumps(request).encode(),
                headers={"Content-Type": "application/json", "X-XSRF-Protected": "1"}), timeout=30)
            groups = json.loads(reply.read()).get("sessionGroups", [])
            if groups:
                return groups
            time.sleep(1)
        return []
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
