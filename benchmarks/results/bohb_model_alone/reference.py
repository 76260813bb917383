"""Independent re-implementation of BOHB's model alone (Falkner et al. 2018, Algorithm 2,
with HpBandSter's documented split: good = best max(N_min, q n // 100), bad = the next
max(N_min, (100-q) n // 100), a model only when each set has more than d points), written
from the paper's description for the issue-19 investigation. Every trial at full budget."""
import math, sys
import numpy as np
from scipy.stats import truncnorm

def branin(u):
    x1, x2 = -5 + 15 * u[0], 15 * u[1]
    b, c, r, s, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s - 0.39788735772973816

def bw_normal_reference(data):
    n, d = data.shape
    return np.maximum(1.06 * data.std(axis=0) * n ** (-1.0 / (d + 4)), 1e-3)

def log_kde(x, data, bw):
    z = (x[None, :] - data) / bw
    s = -0.5 * (z ** 2).sum(axis=1) - np.log(bw * math.sqrt(2 * math.pi)).sum()
    m = s.max()
    return m + math.log(np.exp(s - m).mean())

def run(seed, n_trials, rf, d=2, q=15, ns=64, bwf=3.0, hpbandster_split=True):
    rng = np.random.default_rng(seed)
    X, Y, best = [], [], []
    nmin = d + 1
    for i in range(n_trials):
        x = None
        n = len(Y)
        if rng.random() >= rf and n >= nmin + 2:
            order = np.argsort(Y)
            ng = max(nmin, q * n // 100)
            if hpbandster_split:
                nb = max(nmin, (100 - q) * n // 100)
                good, bad = np.array(X)[order[:ng]], np.array(X)[order[ng:ng + nb]]
            else:  # the paper's N_g = max(N_min, N_b - N_l), worst points
                nb = max(nmin, n - ng)
                good, bad = np.array(X)[order[:ng]], np.array(X)[order[n - nb:]]
            if len(good) > d and len(bad) > d:
                bg, bb = bw_normal_reference(good), bw_normal_reference(bad)
                best_score = -np.inf
                for _ in range(ns):
                    m = good[rng.integers(len(good))]
                    sd = bg * bwf
                    c = truncnorm.rvs(-m / sd, (1 - m) / sd, loc=m, scale=sd, random_state=rng)
                    sc = log_kde(c, good, bg) - log_kde(c, bad, bb)
                    if sc > best_score:
                        best_score, x = sc, c
        if x is None:
            x = rng.random(d)
        X.append(x); Y.append(branin(x))
        best.append(min(Y))
    return best

if __name__ == "__main__":
    seeds, n = int(sys.argv[1]), int(sys.argv[2])
    for rf in (1 / 3, 0.0):
        for split in (True, False):
            r = [run(s, n, rf, hpbandster_split=split) for s in range(seeds)]
            at = lambda k: np.percentile([b[k - 1] for b in r], [50, 25, 75])
            print("rf=%.3f split=%s  @25 %s  @50 %s  @100 %s" % (rf, "hpbandster" if split else "paper", *(np.round(at(k), 4) for k in (25, 50, n))))
