"""The examples' digits network (examples/digits.hpp) in numpy, for the Optuna
peer of bohb_bench's digits_net task (issue 19): one hidden layer, relu or
tanh, Adam or SGD with momentum, l2 on both weight matrices, mini-batches in
an order drawn by the same xoshiro256** generator, the same He/Glorot
initialisation from seed 0. float32 as the C++ side; the sums may round in
another order, so losses agree to float precision, not bit for bit.

    import digits_net
    train_step = digits_net.start(trial, max_steps, load_rows)  # load_rows() -> (features, labels)
    loss = train_step()   # one epoch, then the validation cross-entropy
"""
import math

import numpy as np

_M64 = (1 << 64) - 1


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & _M64


class Rng:
    """xoshiro256** seeded through splitmix64, as digits::rng."""

    def __init__(self, seed):
        self.s = []
        x = seed
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & _M64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
            self.s.append(z ^ (z >> 31))

    def next(self):
        s = self.s
        result = (_rotl((s[1] * 5) & _M64, 7) * 9) & _M64
        t = (s[1] << 17) & _M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 45)
        return result

    def uniform01(self):
        return (self.next() >> 11) * 2.0**-53

    def below(self, n):
        threshold = ((1 << 64) - n) % n
        while True:
            x = self.next()
            if x >= threshold:
                return x % n

    def shuffle(self, v):
        for i in range(len(v), 1, -1):
            j = self.below(i)
            v[i - 1], v[j] = v[j], v[i - 1]


class Net:
    def __init__(self, c, n_in, n_out, n_train):
        self.c = c
        self.rng = Rng(0)
        self.relu = c["activation"] == "relu"
        hidden = c["hidden"]

        def limit(fan_in, fan_out):
            return np.float32(math.sqrt(6.0 / (fan_in if self.relu else fan_in + fan_out)))

        def init(rows, cols, lim):
            return np.array([(2 * self.rng.uniform01() - 1) * float(lim) for _ in range(rows * cols)],
                            dtype=np.float32).reshape(rows, cols)

        self.w = [init(n_in, hidden, limit(n_in, hidden)), np.zeros((1, hidden), np.float32),
                  init(hidden, n_out, limit(hidden, n_out)), np.zeros((1, n_out), np.float32)]
        self.m = [np.zeros_like(w) for w in self.w]
        self.v = [np.zeros_like(w) for w in self.w]
        self.order = list(range(n_train))
        self.t = 0

    def _act(self, z):
        return np.maximum(z, np.float32(0)) if self.relu else np.tanh(z)

    def _step(self, i, grad):
        c = self.c
        if c["optimizer"] == "adam":
            b1, b2 = 0.9, 0.999
            self.m[i] = np.float32(b1) * self.m[i] + np.float32(1 - b1) * grad
            self.v[i] = np.float32(b2) * self.v[i] + np.float32(1 - b2) * grad * grad
            c1 = 1 - b1**self.t
            c2 = 1 - b2**self.t
            step = np.float32(c["learning_rate"] * math.sqrt(c2) / c1)
            eps = np.float32(1e-8 * math.sqrt(c2))
            self.w[i] -= step * self.m[i] / (np.sqrt(self.v[i]) + eps)
        else:
            self.m[i] = np.float32(0.9) * self.m[i] - np.float32(c["learning_rate"]) * grad
            self.w[i] += self.m[i]

    def train_epoch(self, x, y):
        w1, b1, w2, b2 = self.w
        l2 = np.float32(self.c["l2"])
        bs = self.c["batch_size"]
        self.rng.shuffle(self.order)
        order = np.array(self.order)
        n = len(order)
        for start in range(0, n, bs):
            rows = order[start:start + bs]
            xb = x[rows]
            h = self._act(xb @ self.w[0] + self.w[1])
            z = h @ self.w[2] + self.w[3]
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(rows)), y[rows]] -= np.float32(1)
            p /= np.float32(len(rows))
            dh = p @ self.w[2].T
            dh *= (h > 0).astype(np.float32) if self.relu else np.float32(1) - h * h
            self.t += 1
            g = [xb.T @ dh + l2 * self.w[0], dh.sum(axis=0, keepdims=True), h.T @ p + l2 * self.w[2],
                 p.sum(axis=0, keepdims=True)]
            for i in (2, 3, 0, 1):  # the C++ order: w2, b2, w1, b1
                self._step(i, g[i])

    def validation_loss(self, x, y, n_classes):
        uniform = math.log(n_classes)
        if not (np.isfinite(self.w[0]).all() and np.isfinite(self.w[2]).all()):
            return uniform
        with np.errstate(all="ignore"):
            z = self._act(x @ self.w[0] + self.w[1]) @ self.w[2] + self.w[3]
            top = z.max(axis=1, keepdims=True)
            log_sum = top[:, 0].astype(np.float64) + np.log(np.exp(z - top).sum(axis=1).astype(np.float64))
            loss = float(np.mean(log_sum - z[np.arange(len(y)), y]))
        return loss if math.isfinite(loss) else uniform


_DATA = {}


def start(trial, max_steps, load_rows):
    """Suggests scheduler_savings.cpp's six hyperparameters and returns train_step()."""
    if "split" not in _DATA:
        features, labels = load_rows()
        x = np.asarray(features, dtype=np.float32)
        y = np.asarray(labels, dtype=np.int64)
        valid = np.arange(len(y)) % 4 == 3
        _DATA["split"] = (x[~valid], y[~valid], x[valid], y[valid])
    xt, yt, xv, yv = _DATA["split"]
    c = {
        "learning_rate": trial.suggest_float("learning_rate", 1e-4, 0.3, log=True),
        "l2": trial.suggest_float("l2", 1e-6, 1e-2, log=True),
        "hidden": trial.suggest_int("hidden", 16, 128),
        "activation": trial.suggest_categorical("activation", ["relu", "tanh"]),
        "optimizer": trial.suggest_categorical("optimizer", ["adam", "sgd"]),
        "batch_size": trial.suggest_int("batch_size", 16, 256, log=True),
    }
    net = Net(c, xt.shape[1], 10, len(yt))

    def train_step():
        with np.errstate(all="ignore"):
            net.train_epoch(xt, yt)
        return net.validation_loss(xv, yv, 10)
    return train_step
