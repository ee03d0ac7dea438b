"""Checks EasyNets' ONNX exports with ONNX itself: every NAME.onnx in a folder passes
`onnx.checker` (full check, with shape inference) and, run by ONNX Runtime on NAME.input.npy,
gives NAME.output.npy (EasyNets' outputs) within a relative error of 1e-5: the largest absolute
difference divided by the largest absolute output. The batch axis must be symbolic: each model also
runs on the first entry of axis 0 alone and must give the first output row, except a model whose
outputs mix entries along axis 0 (batch normalization with the batch's statistics, a sequence-first
layer whose axis 0 is time), marked by a NAME.mixes-first-axis file.

Usage: python3 check_export.py FOLDER
"""
import glob
import os
import sys

import numpy as np
import onnx
import onnxruntime

TOLERANCE = 1e-5


def relative_error(actual, expected):
    scale = max(float(np.max(np.abs(expected))), 1e-30) if expected.size else 1.0
    return float(np.max(np.abs(actual.astype(np.float64) - expected.astype(np.float64)))) / scale if expected.size else 0.0


def main(folder):
    models = sorted(glob.glob(os.path.join(folder, "*.onnx")))
    if not models:
        print(f"no .onnx files in {folder}")
        return 1
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    # Graph optimizations fuse nodes into kernels that round differently; the check is of the graph.
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    failures = 0
    for path in models:
        name = os.path.basename(path)[: -len(".onnx")]
        base = path[: -len(".onnx")]
        try:
            model = onnx.load(path)
            onnx.checker.check_model(model, full_check=True)
            opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
            session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
            inputs = np.load(base + ".input.npy")
            expected = np.load(base + ".output.npy")
            (actual,) = session.run(None, {"input": inputs})
            if actual.shape != expected.shape:
                raise AssertionError(f"output shape {actual.shape}, EasyNets gives {expected.shape}")
            error = relative_error(actual, expected)
            if not error <= TOLERANCE:
                raise AssertionError(f"relative error {error:.3g} > {TOLERANCE}")
            if not os.path.exists(base + ".mixes-first-axis"):
                (single,) = session.run(None, {"input": inputs[:1]})
                single_error = relative_error(single, expected[:1])
                if not single_error <= TOLERANCE:
                    raise AssertionError(f"a batch of 1 gives a relative error of {single_error:.3g}")
            print(f"ok   {name}: opset {opset}, {len(model.graph.node)} nodes, relative error {error:.2g}")
        except Exception as error:  # noqa: BLE001 - every failure is reported, then the run fails
            failures += 1
            print(f"FAIL {name}: {error}")
    print(f"{len(models) - failures} of {len(models)} exports match ONNX Runtime")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
