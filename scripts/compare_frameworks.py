#!/usr/bin/env python3
"""Side-by-side training-step benchmark: EasyNets, PyTorch (CPU) and NumPy, and JAX when installed.

The workloads of `easynets bench`: `small`, `large` and `online` (784-256-128-10 ReLU MLP at batch
128 and 1, 784-1024-1024-10 at batch 256) and `cnn` (the `--model cnn` preset, conv 32 → pool →
conv 64 → pool → 128 → 10 with BatchNorm2d and dropout, at batch 128 on 1×28×28 images, in
PyTorch's `nn` layers and in JAX's `lax` convolutions; NumPy has no convolution and sits it out;
its floor is the EasyNets step's own recorded products, `bench --config cnn`), and `lstm` (one
LSTM layer 256 → 256 over sequences of 128 at batch 64, sequence-first, the mean squared error of
every output against a random target: `nn.LSTM` in PyTorch, `bench --config lstm`), and
`transformer` (the `char-transformer` preset: 2 pre-norm causal GELU blocks of 128 with 4 heads and a
feed-forward width of 512, dropout 0.1, on 64 random sequences of 128 of 65 characters, Adam only:
`nn.TransformerEncoderLayer` in PyTorch, einsum attention in JAX, `bench --config transformer`). All of them
use float32; cross-entropy; PyTorch-default initialization; random
data: a pool of standard-normal batches with random labels, ~8 MiB, cycled one batch per step, as
`easynets bench` does, so no framework trains its loss down into subnormal gradients), with each
optimizer of `--optimizer`: SGD with momentum 0.9 (learning rate 0.01), and Adam (learning rate
1e-3, betas 0.9 and 0.999, eps 1e-8: `torch.optim.Adam`, `optax.adam`, the same update in NumPy,
`easynets bench --optimizer adam`). For every framework the "floor" is the time of the step's gemm/gemv calls alone, issued
with NumPy's BLAS on the same shapes in this process; EasyNets measures its own floor against
OpenBLAS directly in its process. Ratios are step / floor, against EasyNets' OpenBLAS floor when
the easynets binary is built (the same shapes and calls, made from compiled code: NumPy's floor
for batch 1 is mostly Python call overhead), else against NumPy's.

The whole run is pinned to the first `--threads` CPUs (XLA's CPU runtime otherwise spreads one
"single-threaded" step over every core, whatever OMP_NUM_THREADS says).

Usage:
    swift build -c release --product easynets
    pip install torch==2.13.0+cpu jax optax   # the PyPI default torch is a CUDA build that fails to import here
    python3 scripts/compare_frameworks.py --threads 1 --optimizer sgd adam
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

WORKLOADS = {"small": ([784, 256, 128, 10], 128), "large": ([784, 1024, 1024, 10], 256), "online": ([784, 256, 128, 10], 1)}


def median_time(fn, repetitions=15, target=0.05):
    for _ in range(5):
        fn()
    start = time.perf_counter(); fn(); once = time.perf_counter() - start
    calls = max(1, int(target / max(once, 1e-7)))
    samples = []
    for _ in range(repetitions):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls)
    samples.sort()
    return samples[len(samples) // 2]


def batch_pool(np, widths, batch):
    """Standard-normal inputs with random labels, enough batches for ~8 MiB (at least 8)."""
    rng = np.random.default_rng(2)
    count = max(8, (8 << 20) // (batch * widths[0] * 4))
    return [(rng.standard_normal((batch, widths[0]), dtype=np.float32), rng.integers(0, widths[-1], batch))
            for _ in range(count)]


class Cycle:
    """Hands out the pool's batches in turn."""
    def __init__(self, pool):
        self.pool, self.next = pool, 0

    def __call__(self):
        item = self.pool[self.next]
        self.next = (self.next + 1) % len(self.pool)
        return item


def numpy_floor(np, widths, batch):
    """The step's BLAS calls alone, through NumPy (float32)."""
    rng = np.random.default_rng(0)
    W = [rng.standard_normal((widths[i + 1], widths[i]), dtype=np.float32) * 0.01 for i in range(len(widths) - 1)]
    A = [rng.standard_normal((batch, w), dtype=np.float32) for w in widths]
    G = [rng.standard_normal((batch, w), dtype=np.float32) for w in widths]
    dW = [np.empty_like(w) for w in W]
    ones = np.ones(batch, dtype=np.float32)

    def step():
        for l in range(len(W)):
            np.matmul(A[l], W[l].T, out=A[l + 1])
        for l in reversed(range(len(W))):
            np.matmul(G[l + 1].T, A[l], out=dW[l])
            G[l + 1].T @ ones
            if l > 0:
                np.matmul(G[l + 1], W[l], out=G[l])
    return step


class NumPyAdam:
    """Adam as `torch.optim.Adam` defines it (bias-corrected moments), in place on float32 arrays."""
    def __init__(self, np, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.np, self.lr, self.beta1, self.beta2, self.eps, self.t = np, lr, beta1, beta2, eps, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def update(self, i, p, g, first_of_step=False):
        if first_of_step:
            self.t += 1
        m, v = self.m[i], self.v[i]
        m *= self.beta1; m += (1 - self.beta1) * g
        v *= self.beta2; v += (1 - self.beta2) * g * g
        step = self.lr / (1 - self.beta1 ** self.t)
        p -= step * m / (self.np.sqrt(v / (1 - self.beta2 ** self.t)) + self.eps)


def numpy_step(np, widths, batch, optimizer):
    rng = np.random.default_rng(1)
    Ws, bs = [], []
    for i in range(len(widths) - 1):
        bound = 1 / np.sqrt(widths[i])
        Ws.append(rng.uniform(-bound, bound, (widths[i + 1], widths[i])).astype(np.float32))
        bs.append(rng.uniform(-bound, bound, widths[i + 1]).astype(np.float32))
    vW = [np.zeros_like(w) for w in Ws]
    vb = [np.zeros_like(b) for b in bs]
    adam = NumPyAdam(np, Ws + bs)
    data = Cycle(batch_pool(np, widths, batch))

    def step():
        x, y = data()
        acts = [x]
        for l in range(len(Ws)):
            z = acts[-1] @ Ws[l].T + bs[l]
            acts.append(np.maximum(z, 0) if l < len(Ws) - 1 else z)
        logits = acts[-1]
        shifted = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(shifted)
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(batch), y] -= 1
        g = p / batch
        for l in reversed(range(len(Ws))):
            dW = g.T @ acts[l]
            db = g.sum(axis=0)
            if l > 0:
                g = (g @ Ws[l]) * (acts[l] > 0)
            if optimizer == "adam":
                adam.update(l, Ws[l], dW, first_of_step=l == len(Ws) - 1)
                adam.update(len(Ws) + l, bs[l], db)
            else:
                vW[l] *= 0.9; vW[l] += dW; Ws[l] -= 0.01 * vW[l]
                vb[l] *= 0.9; vb[l] += db; bs[l] -= 0.01 * vb[l]
    return step


def torch_step(torch, np, widths, batch, optimizer):
    torch.manual_seed(0)
    layers = []
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    return torch_training_step(torch, torch.nn.Sequential(*layers), optimizer, batch_pool(np, widths, batch))


def torch_training_step(torch, model, optimizer, pool):
    """One PyTorch training step of `model` on the next batch of `pool`: cross-entropy, backward,
    and SGD with momentum 0.9 or Adam (PyTorch's defaults on CPU: the foreach implementation, its
    fastest for these sizes)."""
    opt = (torch.optim.Adam(model.parameters(), lr=1e-3) if optimizer == "adam"
           else torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    data = Cycle([(torch.from_numpy(x), torch.from_numpy(y)) for x, y in pool])

    def step():
        x, y = data()
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return step


def jax_step(np, widths, batch, optimizer):
    import jax
    import jax.numpy as jnp
    import optax
    key = jax.random.PRNGKey(0)
    params = []
    for i in range(len(widths) - 1):
        key, k1, k2 = jax.random.split(key, 3)
        bound = 1 / widths[i] ** 0.5
        params.append((jax.random.uniform(k1, (widths[i + 1], widths[i]), minval=-bound, maxval=bound),
                       jax.random.uniform(k2, (widths[i + 1],), minval=-bound, maxval=bound)))
    transform = optax.adam(1e-3) if optimizer == "adam" else optax.sgd(0.01, momentum=0.9)
    opt_state = transform.init(params)
    data = Cycle([(jnp.asarray(x), jnp.asarray(y)) for x, y in batch_pool(np, widths, batch)])

    def loss(params, x, y):
        h = x
        for i, (w, b) in enumerate(params):
            h = h @ w.T + b
            if i < len(params) - 1:
                h = jax.nn.relu(h)
        return -jnp.mean(jax.nn.log_softmax(h)[jnp.arange(batch), y])

    @jax.jit
    def update(params, opt_state, x, y):
        grads = jax.grad(loss)(params, x, y)
        updates, opt_state = transform.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    state = [params, opt_state]

    def step():
        state[0], state[1] = update(state[0], state[1], *data())
        jax.block_until_ready(state[0])
    return step


CNN_BATCH = 128


def image_pool(np, batch):
    """Standard-normal 1×28×28 images with random labels, as `easynets bench --config cnn` uses (~8 MiB, at least 4 batches)."""
    rng = np.random.default_rng(3)
    count = max(4, (8 << 20) // (batch * 784 * 4))
    return [(rng.standard_normal((batch, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, batch)) for _ in range(count)]


def torch_cnn_step(torch, np, optimizer):
    """The `cnn` preset in PyTorch: conv 3×3 32 → BN → ReLU → max pool 2 → conv 3×3 64 → BN → ReLU →
    max pool 2 → Linear 3136→128 → ReLU → Dropout 0.3 → Linear 128→10, in training mode."""
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10))
    return torch_training_step(torch, model, optimizer, image_pool(np, CNN_BATCH))


LSTM_SHAPE = (128, 64, 256)  # sequence, batch, features (input and hidden)


def torch_lstm_step(torch, optimizer):
    """`easynets bench --config lstm` in PyTorch: nn.LSTM(256, 256) on (128, 64, 256) standard-normal
    input, MSE against a standard-normal target of the output's shape, backward, update."""
    torch.manual_seed(0)
    length, batch, size = LSTM_SHAPE
    lstm = torch.nn.LSTM(size, size)
    opt = (torch.optim.Adam(lstm.parameters(), lr=1e-3) if optimizer == "adam"
           else torch.optim.SGD(lstm.parameters(), lr=0.01, momentum=0.9))
    x, target = torch.randn(length, batch, size), torch.randn(length, batch, size)

    def step():
        opt.zero_grad()
        torch.nn.functional.mse_loss(lstm(x)[0], target).backward()
        opt.step()
    return step


def jax_cnn_step(np, optimizer):
    """The same network in JAX (lax convolutions and windows, batch statistics, dropout), under jit."""
    import jax
    import jax.numpy as jnp
    import optax
    key = jax.random.PRNGKey(0)
    k = jax.random.split(key, 6)

    def uniform(k, shape, fan_in):
        bound = 1 / fan_in ** 0.5
        return jax.random.uniform(k, shape, minval=-bound, maxval=bound)
    params = {"c1": uniform(k[0], (32, 1, 3, 3), 9), "g1": jnp.ones(32), "b1": jnp.zeros(32),
              "c2": uniform(k[1], (64, 32, 3, 3), 288), "g2": jnp.ones(64), "b2": jnp.zeros(64),
              "w3": uniform(k[2], (128, 3136), 3136), "b3": uniform(k[3], (128,), 3136),
              "w4": uniform(k[4], (10, 128), 128), "b4": uniform(k[5], (10,), 128)}
    transform = optax.adam(1e-3) if optimizer == "adam" else optax.sgd(0.01, momentum=0.9)
    opt_state = transform.init(params)
    data = Cycle([(jnp.asarray(x), jnp.asarray(y)) for x, y in image_pool(np, CNN_BATCH)])

    def block(h, w, g, b):
        h = jax.lax.conv_general_dilated(h, w, (1, 1), ((1, 1), (1, 1)), dimension_numbers=("NCHW", "OIHW", "NCHW"))
        mean = h.mean(axis=(0, 2, 3), keepdims=True)
        var = h.var(axis=(0, 2, 3), keepdims=True)
        h = (h - mean) / jnp.sqrt(var + 1e-5) * g[None, :, None, None] + b[None, :, None, None]
        h = jax.nn.relu(h)
        return jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def loss(params, x, y, key):
        h = block(x, params["c1"], params["g1"], params["b1"])
        h = block(h, params["c2"], params["g2"], params["b2"])
        h = jax.nn.relu(h.reshape(h.shape[0], -1) @ params["w3"].T + params["b3"])
        keep = jax.random.bernoulli(key, 0.7, h.shape)
        h = jnp.where(keep, h / 0.7, 0)
        logits = h @ params["w4"].T + params["b4"]
        return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(x.shape[0]), y])

    @jax.jit
    def update(params, opt_state, x, y, key):
        grads = jax.grad(loss)(params, x, y, key)
        updates, opt_state = transform.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    state = [params, opt_state, key]

    def step():
        state[2], sub = jax.random.split(state[2])
        state[0], state[1] = update(state[0], state[1], *data(), sub)
        jax.block_until_ready(state[0])
    return step


TRANSFORMER_SHAPE = (64, 128, 65)  # batch, characters per sequence, vocabulary


def text_pool(np):
    """Random character sequences as `easynets bench --config transformer` draws them: inputs and next-character targets."""
    rng = np.random.default_rng(4)
    batch, length, vocabulary = TRANSFORMER_SHAPE
    pool = []
    for _ in range(4):
        text = rng.integers(0, vocabulary, (batch, length + 1))
        pool.append((text[:, :-1], text[:, 1:]))
    return pool


def torch_transformer_step(torch, np, optimizer):
    """The `char-transformer` preset in PyTorch: Embedding(65, 128) + a learned position embedding → 2 ×
    nn.TransformerEncoderLayer(128, 4 heads, 512, dropout 0.1, GELU, batch first, pre-norm, causal) →
    LayerNorm → Linear(128, 65), cross-entropy of the (N, 65, L) scores, in training mode."""
    nn = torch.nn
    torch.manual_seed(0)
    batch, length, vocabulary = TRANSFORMER_SHAPE

    class CharTransformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocabulary, 128)
            self.position = nn.Parameter(torch.randn(length, 128))
            self.blocks = nn.ModuleList(nn.TransformerEncoderLayer(128, 4, 512, 0.1, activation="gelu", batch_first=True,
                                                                   norm_first=True) for _ in range(2))
            self.norm = nn.LayerNorm(128)
            self.head = nn.Linear(128, vocabulary)
            self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(length))

        def forward(self, x):
            h = self.embedding(x) + self.position
            for block in self.blocks:
                h = block(h, src_mask=self.mask, is_causal=True)
            return self.head(self.norm(h)).permute(0, 2, 1)

    return torch_training_step(torch, CharTransformer(), optimizer, text_pool(np))


def jax_transformer_step(np, optimizer):
    """The same model in JAX (causal multi-head attention by einsum, exact GELU, the four dropouts of
    PyTorch's block), under jit."""
    import jax
    import jax.numpy as jnp
    import optax
    batch, length, vocabulary = TRANSFORMER_SHAPE
    size, heads, width = 128, 4, 512
    keys = iter(jax.random.split(jax.random.PRNGKey(0), 32))

    def uniform(shape, fan_in):
        bound = 1 / fan_in ** 0.5
        return jax.random.uniform(next(keys), shape, minval=-bound, maxval=bound)

    def block_params():
        return {"in_w": uniform((3 * size, size), size), "in_b": jnp.zeros(3 * size), "out_w": uniform((size, size), size),
                "out_b": jnp.zeros(size), "w1": uniform((width, size), size), "b1": uniform((width,), size),
                "w2": uniform((size, width), width), "b2": uniform((size,), width),
                "g1": jnp.ones(size), "n1": jnp.zeros(size), "g2": jnp.ones(size), "n2": jnp.zeros(size)}
    params = {"embedding": jax.random.normal(next(keys), (vocabulary, size)),
              "position": jax.random.normal(next(keys), (length, size)),
              "blocks": [block_params() for _ in range(2)], "g": jnp.ones(size), "n": jnp.zeros(size),
              "head_w": uniform((vocabulary, size), size), "head_b": uniform((vocabulary,), size)}
    transform = optax.adam(1e-3) if optimizer == "adam" else optax.sgd(0.01, momentum=0.9)
    opt_state = transform.init(params)
    data = Cycle([(jnp.asarray(x), jnp.asarray(y)) for x, y in text_pool(np)])
    causal = jnp.tril(jnp.ones((length, length), dtype=bool))

    def norm(h, g, b):
        mean = h.mean(-1, keepdims=True)
        return (h - mean) / jnp.sqrt(((h - mean) ** 2).mean(-1, keepdims=True) + 1e-5) * g + b

    def dropped(h, key):
        return jnp.where(jax.random.bernoulli(key, 0.9, h.shape), h / 0.9, 0)

    def block(h, p, key):
        k = jax.random.split(key, 4)
        qkv = norm(h, p["g1"], p["n1"]) @ p["in_w"].T + p["in_b"]
        q, kk, v = (qkv[..., i * size:(i + 1) * size].reshape(batch, length, heads, size // heads) for i in range(3))
        scores = jnp.einsum("nqhd,nkhd->nhqk", q, kk) / (size // heads) ** 0.5
        weights = dropped(jax.nn.softmax(jnp.where(causal, scores, -jnp.inf), axis=-1), k[0])
        attended = jnp.einsum("nhqk,nkhd->nqhd", weights, v).reshape(batch, length, size) @ p["out_w"].T + p["out_b"]
        h = h + dropped(attended, k[1])
        inner = dropped(jax.nn.gelu(norm(h, p["g2"], p["n2"]) @ p["w1"].T + p["b1"], approximate=False), k[2])
        return h + dropped(inner @ p["w2"].T + p["b2"], k[3])

    def loss(params, x, y, key):
        h = params["embedding"][x] + params["position"]
        for p, k in zip(params["blocks"], jax.random.split(key, 2)):
            h = block(h, p, k)
        logits = norm(h, params["g"], params["n"]) @ params["head_w"].T + params["head_b"]
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[..., None], axis=-1))

    @jax.jit
    def update(params, opt_state, x, y, key):
        grads = jax.grad(loss)(params, x, y, key)
        updates, opt_state = transform.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    state = [params, opt_state, jax.random.PRNGKey(1)]

    def step():
        state[2], sub = jax.random.split(state[2])
        state[0], state[1] = update(state[0], state[1], *data(), sub)
        jax.block_until_ready(state[0])
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--easynets", default=".build/release/easynets")
    parser.add_argument("--optimizer", nargs="+", choices=["sgd", "adam"], default=["sgd", "adam"],
                        help="the optimizers to time (the transformer takes adam only, as the char-transformer preset trains)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds per configuration")
    parser.add_argument("--configs", nargs="+", choices=[*WORKLOADS, "cnn", "lstm", "transformer"],
                        default=[*WORKLOADS, "cnn", "lstm", "transformer"])
    args = parser.parse_args()
    for var in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"]:
        os.environ[var] = str(args.threads)
    os.environ["XLA_FLAGS"] = f"--xla_cpu_multi_thread_eigen={'true' if args.threads > 1 else 'false'} " \
                              f"intra_op_parallelism_threads={args.threads}"
    cpus = sorted(os.sched_getaffinity(0))[:args.threads]
    os.sched_setaffinity(0, cpus)  # inherited by the easynets process
    import numpy as np
    have_easynets = os.path.exists(args.easynets)
    if not have_easynets:
        print(f"{args.easynets} not found: build it with swift build -c release --product easynets", file=sys.stderr)
    try:
        import torch
        torch.set_num_threads(args.threads)
    except Exception as error:  # noqa: BLE001
        torch = None
        print(f"PyTorch unavailable ({error}); pip install torch==2.13.0+cpu", file=sys.stderr)
    try:
        import jax
        import optax  # noqa: F401  (the optimizers of the JAX runs)
    except ImportError:
        jax = None
    print(f"threads: {args.threads} (CPUs {cpus}); floor = the step's gemm/gemv calls alone, "
          + ("OpenBLAS called from the easynets process" if have_easynets else "NumPy's BLAS in this process")
          + f"; medians of {args.rounds} interleaved rounds")
    print(f"{'config':8} {'optimizer':9} {'framework':22} {'step ms':>10} {'floor ms':>10} {'ratio':>7}")
    numpy_floors = {}
    for name, optimizer in ((w, o) for w in args.configs for o in args.optimizer):
        if name == "transformer" and optimizer != "adam":
            continue
        if name == "transformer":  # the floor is the EasyNets step's own recorded products
            steps = {}
            if torch is not None:
                steps[f"PyTorch {torch.__version__}"] = torch_transformer_step(torch, np, optimizer)
            if jax is not None:
                steps[f"JAX {jax.__version__} (jit)"] = jax_transformer_step(np, optimizer)
        elif name == "lstm":  # PyTorch's nn.LSTM only; the floor is the EasyNets step's own recorded products
            steps = {f"PyTorch {torch.__version__}": torch_lstm_step(torch, optimizer)} if torch is not None else {}
        elif name == "cnn":  # NumPy has no convolution; the floor is the EasyNets step's own recorded products
            steps = {}
            if torch is not None:
                steps[f"PyTorch {torch.__version__}"] = torch_cnn_step(torch, np, optimizer)
            if jax is not None:
                steps[f"JAX {jax.__version__} (jit)"] = jax_cnn_step(np, optimizer)
        else:
            widths, batch = WORKLOADS[name]
            steps = {"NumPy": numpy_step(np, widths, batch, optimizer)}
            if torch is not None:
                steps[f"PyTorch {torch.__version__}"] = torch_step(torch, np, widths, batch, optimizer)
            if jax is not None:
                steps[f"JAX {jax.__version__} (jit)"] = jax_step(np, widths, batch, optimizer)
            steps["NumPy floor"] = numpy_floor(np, widths, batch)
        samples = {framework: [] for framework in ["EasyNets", "EasyNets floor", *steps]}
        # Rounds interleave the frameworks, so the shared machine's slow spells hit all of them.
        for _ in range(args.rounds):
            if have_easynets:
                out = subprocess.run([args.easynets, "bench", "--config", name, "--json", "--threads", str(args.threads),
                                      "--optimizer", optimizer, "--repetitions", "5"], check=True, capture_output=True, text=True).stdout
                result = json.loads(out.splitlines()[0])
                samples["EasyNets"].append(result["step_ms"])
                samples["EasyNets floor"].append(result["floor_ms"])
            for framework, step in steps.items():
                samples[framework].append(median_time(step, repetitions=3, target=0.3 if name in ("cnn", "lstm", "transformer") else 0.03) * 1e3)
        medians = {framework: statistics.median(values) for framework, values in samples.items() if values}
        floor = medians.get("EasyNets floor", medians.get("NumPy floor"))
        if floor is None:
            print(f"{name}: no floor (build easynets)", file=sys.stderr)
            continue
        if "NumPy floor" in medians:
            numpy_floors[name] = medians["NumPy floor"]
        for framework, step in medians.items():
            if "floor" not in framework:
                print(f"{name:8} {optimizer:9} {framework:22} {step:10.4f} {floor:10.4f} {step / floor:7.2f}")
    print("NumPy's own floor (the same calls through NumPy): "
          + ", ".join(f"{name} {ms:.4f} ms" for name, ms in numpy_floors.items()))

if __name__ == "__main__":
    main()
