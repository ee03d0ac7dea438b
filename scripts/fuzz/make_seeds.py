#!/usr/bin/env python3
"""Writes the fuzz seed corpus, Tests/Fuzz/Corpus/<target>/: a few small valid inputs per reader,
covering its element types and variants, for libFuzzer to mutate (scripts/fuzz.sh). The checkpoint
and metrics seeds come from a real `easynets train` run, made by make_seeds.sh. Standard library
and NumPy only. Usage: python3 scripts/fuzz/make_seeds.py"""
import gzip, io, json, os, struct
import numpy as np

root = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fuzz", "Corpus")


def put(target, name, data):
    folder = os.path.join(root, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def idx(code, dims, values):
    fmt = {0x08: "B", 0x09: "b", 0x0B: ">h", 0x0C: ">i", 0x0D: ">f", 0x0E: ">d"}[code]
    head = bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    return head + b"".join(struct.pack(fmt if fmt.startswith(">") else ">" + fmt, v) for v in values)


idx_seeds = {
    "images-ubyte": idx(0x08, [2, 3, 3], list(range(18))),
    "labels-ubyte": idx(0x08, [4], [0, 9, 3, 1]),
    "sbyte": idx(0x09, [3], [-1, 0, 7]),
    "int16": idx(0x0B, [2], [258, -2]),
    "int32": idx(0x0C, [1, 2], [-3, 70000]),
    "float32": idx(0x0D, [2, 2], [0.5, -1.25, 3.0, 1e-3]),
    "float64": idx(0x0E, [2], [2.0, -0.125]),
}
for name, data in idx_seeds.items():
    put("idx", name, data)
for name in ["images-ubyte", "labels-ubyte", "float32"]:
    put("gzip", name + ".gz", gzip.compress(idx_seeds[name], mtime=0))


def npy(array, version=None):
    buffer = io.BytesIO()
    if version is None:
        np.save(buffer, array)
    else:
        np.lib.format.write_array(buffer, array, version=version)
    return buffer.getvalue()


put("npy", "f4-2x3", npy(np.arange(6, dtype="<f4").reshape(2, 3)))
put("npy", "f8-scalar", npy(np.array(1.5, dtype="<f8")))
put("npy", "i8-vector", npy(np.array([1, -2, 3], dtype="<i8")))
put("npy", "u1", npy(np.array([0, 255], dtype="u1")))
put("npy", "big-endian-i2", npy(np.array([[1, -1]], dtype=">i2")))
put("npy", "version2", npy(np.zeros((1, 2), dtype="<f4"), version=(2, 0)))
put("npy", "bool", npy(np.array([True, False])))

put("csv", "header", b"a,b,label\n0.5,1,0\n-2,3e-1,1\n")
put("csv", "quoted-crlf", b'"x","y","label"\r\n1,2,2\r\n\r\n3,4,0\r\n')
put("csv", "one-column", b"label\n1\n0\n")

put("pgm", "p5-8bit", b"P5\n4 3\n255\n" + bytes(range(0, 240, 20)))
put("pgm", "p5-16bit", b"P5 2 1 65535\n" + struct.pack(">HH", 1, 65535))
put("pgm", "p2-comment", b"P2\n# a comment\n3 2\n15\n0 1 2\n13 14 15\n")


def safetensors(tensors, metadata=None):
    header, data = {}, b""
    for name, (dtype, shape, raw) in sorted(tensors.items()):
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


rng = np.random.default_rng(0)
model = {
    "0.weight": ("F32", [3, 4], rng.standard_normal((3, 4)).astype("<f4").tobytes()),
    "0.bias": ("F32", [3], rng.standard_normal(3).astype("<f4").tobytes()),
    "2.weight": ("F32", [2, 3], rng.standard_normal((2, 3)).astype("<f4").tobytes()),
    "2.bias": ("F32", [2], rng.standard_normal(2).astype("<f4").tobytes()),
}
put("safetensors", "mlp-4-3-2", safetensors(model))

# Model descriptions, as `easynets train --model FILE.json` reads them.
def linear(i, o, bias=True):
    return {"linear": {"inputSize": i, "outputSize": o, "bias": bias}}
put("model", "mlp", json.dumps({"sequential": {"layers": [linear(3, 8), {"relu": {}}, {"dropout": {"probability": 0.1}},
                                                          linear(8, 2)]}}).encode())
put("model", "normalized-residual", json.dumps({"sequential": {"layers": [
    linear(3, 6), {"batchNorm1d": {"featureCount": 6, "epsilon": 1e-5, "momentum": 0.1, "affine": True}},
    {"gelu": {"tanhApproximation": True}},
    {"residual": {"block": {"sequential": {"layers": [
        {"layerNorm": {"normalizedShape": [6], "epsilon": 1e-5, "elementwiseAffine": True}}, linear(6, 6, False), {"tanh": {}}]}}}},
    linear(6, 2), {"logSoftmax": {"axis": -1}}]}}).encode())
put("model", "embedding", json.dumps({"sequential": {"layers": [{"embedding": {"count": 4, "dimension": 2}},
                                                                {"flatten": {"startAxis": 1}}, linear(6, 2)]}}).encode())
put("model", "activations", json.dumps({"sequential": {"layers": [linear(3, 4)] + [{k: {}} for k in
    ["selu", "silu", "mish", "sigmoid", "hardSigmoid", "softplus", "identity"]] + [{"leakyRelu": {"negativeSlope": 0.2}},
    {"elu": {"alpha": 1.0}}, {"softmax": {"axis": 1}}, linear(4, 2)]}}).encode())
# One description of every layer kind, each alone in a sequential model (the samples of
# Tests/EasyNetsTests/Layers/Description/LayerDescriptionTests.swift, as they encode); a test
# checks that every registered kind appears in this corpus.
layer_samples = [
    ('linear', '{"linear":{"bias":false,"inputSize":3,"outputSize":4}}'),
    ('relu', '{"relu":{}}'),
    ('leakyRelu', '{"leakyRelu":{"negativeSlope":0.2}}'),
    ('elu', '{"elu":{"alpha":0.5}}'),
    ('selu', '{"selu":{}}'),
    ('gelu', '{"gelu":{"tanhApproximation":true}}'),
    ('silu', '{"silu":{}}'),
    ('mish', '{"mish":{}}'),
    ('sigmoid', '{"sigmoid":{}}'),
    ('hardSigmoid', '{"hardSigmoid":{}}'),
    ('tanh', '{"tanh":{}}'),
    ('softplus', '{"softplus":{}}'),
    ('softmax', '{"softmax":{"axis":1}}'),
    ('logSoftmax', '{"logSoftmax":{"axis":-1}}'),
    ('dropout', '{"dropout":{"probability":0.25}}'),
    ('dropout2d', '{"dropout2d":{"probability":0.5}}'),
    ('layerNorm', '{"layerNorm":{"elementwiseAffine":false,"epsilon":0.0001,"normalizedShape":[3]}}'),
    ('batchNorm1d', '{"batchNorm1d":{"affine":true,"epsilon":0.001,"featureCount":3,"momentum":0.2}}'),
    ('batchNorm2d', '{"batchNorm2d":{"affine":false,"epsilon":1e-05,"featureCount":3,"momentum":0.1}}'),
    ('groupNorm', '{"groupNorm":{"affine":true,"channelCount":4,"epsilon":1e-05,"groupCount":2}}'),
    ('instanceNorm1d', '{"instanceNorm1d":{"affine":true,"epsilon":0.001,"featureCount":3,"momentum":0.2,"trackRunningStats":true}}'),
    ('instanceNorm2d', '{"instanceNorm2d":{"affine":false,"epsilon":1e-05,"featureCount":3,"momentum":0.1,"trackRunningStats":false}}'),
    ('rmsNorm', '{"rmsNorm":{"elementwiseAffine":true,"normalizedShape":[2,3]}}'),
    ('batchNorm1d', '{"batchNorm1d":{"affine":false,"epsilon":1e-05,"featureCount":3,"momentum":null,"trackRunningStats":false}}'),
    ('embedding', '{"embedding":{"count":5,"dimension":3,"maxNorm":1.5,"normType":1,"paddingIndex":1}}'),
    ('embedding', '{"embedding":{"count":5,"dimension":3}}'),
    ('conv2d', '{"conv2d":{"bias":true,"dilation":[1,2],"groups":2,"inChannels":2,"kernelSize":[3,2],"outChannels":4,"padding":{"explicit":{"_0":[1,0]}},"stride":[2,1]}}'),
    ('conv1d', '{"conv1d":{"bias":false,"dilation":2,"groups":1,"inChannels":3,"kernelSize":3,"outChannels":2,"padding":{"same":{}},"stride":1}}'),
    ('convTranspose2d', '{"convTranspose2d":{"bias":true,"dilation":[1,2],"groups":2,"inChannels":4,"kernelSize":[3,2],"outChannels":2,"outputPadding":[1,1],"padding":[1,0],"stride":[2,1]}}'),
    ('convTranspose1d', '{"convTranspose1d":{"bias":false,"dilation":1,"groups":3,"inChannels":3,"kernelSize":3,"outChannels":6,"outputPadding":1,"padding":1,"stride":2}}'),
    ('upsample', '{"upsample":{"alignCorners":true,"mode":"linear","scaleFactor":[2.5]}}'),
    ('maxPool2d', '{"maxPool2d":{"ceilMode":true,"dilation":[1,1],"kernelSize":[2,2],"padding":[1,0],"stride":[1,2]}}'),
    ('avgPool2d', '{"avgPool2d":{"ceilMode":false,"countIncludePad":false,"divisorOverride":7,"kernelSize":[3,3],"padding":[1,1],"stride":[2,2]}}'),
    ('adaptiveAvgPool2d', '{"adaptiveAvgPool2d":{"outputSize":[2,3]}}'),
    ('maxPool1d', '{"maxPool1d":{"ceilMode":true,"dilation":2,"kernelSize":3,"padding":1,"stride":2}}'),
    ('avgPool1d', '{"avgPool1d":{"ceilMode":true,"countIncludePad":false,"kernelSize":3,"padding":1,"stride":2}}'),
    ('adaptiveAvgPool1d', '{"adaptiveAvgPool1d":{"outputSize":4}}'),
    ('adaptiveMaxPool2d', '{"adaptiveMaxPool2d":{"outputSize":[3,2]}}'),
    ('flatten', '{"flatten":{"startAxis":1}}'),
    ('identity', '{"identity":{}}'),
    ('permute', '{"permute":{"axes":[0,2,1]}}'),
    ('recurrent', '{"recurrent":{"batchFirst":true,"bias":true,"bidirectional":true,"cell":"gru","dropout":0.1,"hiddenSize":4,"inputSize":3,"layerCount":2}}'),
    ('recurrent', '{"recurrent":{"batchFirst":true,"bias":true,"bidirectional":true,"cell":"lstm","dropout":0,"hiddenSize":4,"inputSize":3,"layerCount":2,"projectionSize":2}}'),
    ('multiheadAttention', '{"multiheadAttention":{"addKeyValueBias":false,"addZeroAttention":false,"batchFirst":true,"bias":false,"dropout":0,"embeddingSize":4,"headCount":2}}'),
    ('transformerEncoderLayer', '{"transformerEncoderLayer":{"activation":"gelu","batchFirst":false,"causal":true,"dropout":0.1,"feedForwardSize":6,"headCount":2,"layerNormEpsilon":1e-05,"modelSize":4,"normFirst":true}}'),
    ('multiheadAttention', '{"multiheadAttention":{"addKeyValueBias":true,"addZeroAttention":true,"batchFirst":false,"bias":true,"dropout":0.1,"embeddingSize":4,"headCount":2}}'),
    ('transformerDecoderLayer', '{"transformerDecoderLayer":{"activation":"relu","batchFirst":true,"dropout":0.1,"feedForwardSize":6,"headCount":2,"layerNormEpsilon":0.0001,"modelSize":4,"normFirst":false}}'),
    ('transformerEncoder', '{"transformerEncoder":{"layer":{"activation":"relu","batchFirst":false,"causal":false,"dropout":0,"feedForwardSize":3,"headCount":1,"layerNormEpsilon":1e-05,"modelSize":4,"normFirst":false},"layerCount":2,"norm":true}}'),
    ('transformerDecoder', '{"transformerDecoder":{"layer":{"activation":"relu","batchFirst":true,"dropout":0,"feedForwardSize":3,"headCount":2,"layerNormEpsilon":1e-05,"modelSize":4,"normFirst":true},"layerCount":2,"norm":false}}'),
    ('transformer', '{"transformer":{"activation":"gelu","batchFirst":false,"decoderLayerCount":2,"dropout":0.1,"encoderLayerCount":1,"feedForwardSize":5,"headCount":2,"layerNormEpsilon":1e-05,"modelSize":4,"normFirst":true}}'),
    ('sinusoidalPositionalEncoding', '{"sinusoidalPositionalEncoding":{"batchFirst":true,"dimension":4}}'),
    ('learnedPositionalEmbedding', '{"learnedPositionalEmbedding":{"batchFirst":true,"dimension":4,"maximumLength":6}}'),
]
for index, (kind, layer) in enumerate(layer_samples):
    put("model", f"layer-{index:02d}-{kind}", ('{"sequential":{"layers":[' + layer + ']}}').encode())

put("safetensors", "dtypes", safetensors({
    "f64": ("F64", [2], np.array([1.0, -2.0], "<f8").tobytes()),
    "i64": ("I64", [1], np.array([7], "<i8").tobytes()),
    "f16": ("F16", [2], np.array([0.5, 2.0], "<f2").tobytes()),
    "bf16": ("BF16", [1], (np.array([1.0], "<f4").view("<u4") >> 16).astype("<u2").tobytes()),
    "u8": ("U8", [2, 1], bytes([1, 2])),
    "empty": ("F32", [0, 3], b""),
}, {"note": "seed"}))

# Memory-mapped .npy (NPYSource): the same file is the features and the targets, so integer
# arrays are class indices and float arrays values.
put("npy-mapped", "u1-images", npy(np.arange(2 * 3 * 4, dtype="u1").reshape(2, 3, 4)))
put("npy-mapped", "i8-labels", npy(np.array([[0, 2], [1, 1], [3, 0]], dtype="<i8")))
put("npy-mapped", "f4-values", npy(np.array([[0.5, -1.0, 2.0], [3.0, 0.0, 1e-3]], dtype="<f4")))
put("npy-mapped", "f8-vector", npy(np.array([1.5, -2.0, 0.25], dtype="<f8")))
put("npy-mapped", "big-endian-i2", npy(np.array([[1, 2], [3, 4]], dtype=">i2")))

# A folder of PGM images (PGMFolderSource): the labels file, then each image `1.pgm`, `2.pgm`, …,
# separated by NUL bytes.
p5 = b"P5\n3 2\n255\n" + bytes([0, 17, 255, 128, 3, 64])
p5_16 = b"P5 3 2 1000\n" + struct.pack(">6H", 1000, 0, 999, 500, 250, 1)
p2 = b"P2\n# plain\n3 2\n15\n0 1 2\n13 14 15\n"
put("pgm-folder", "classes", b"\0".join([b"file,label\n1.pgm,2\n2.pgm,0\n3.pgm,1\n", p5, p5_16, p2]))
put("pgm-folder", "values", b"\0".join([b"file,x,y\n2.pgm,0.5,-1\n1.pgm,3,1e2\n", p5, p2]))

# ONNX: the smallest PyTorch exports among the import fixtures (scripts/fixtures/make_onnx_fixture.py).
fixtures = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "onnx")
for name in ["mlp", "mlp_gelu", "cnn", "gru"]:
    with open(os.path.join(fixtures, name + ".onnx"), "rb") as f:
        put("onnx", name + ".onnx", f.read())
