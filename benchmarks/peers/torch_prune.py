#!/usr/bin/env python3
"""Peer of benchmarks/pruning.bench.cpp: torch.nn.utils.prune (PyTorch 1.13) on
the same shapes, with the same thread count. Prints one JSON line per case:

  {"system": "torch-1.13.1", "case": "l1_mask", "n": 67108864, "threads": 1,
   "seconds": [...], "cpu_seconds": [...], "median_s": ..., "median_cpu_s": ...}

Cases (weights normal(0, 1), fresh module each repetition):
  read_pass      w.sum(): one read pass, torch's own bandwidth floor
  l1_mask        L1Unstructured(0.5).compute_mask(w, ones)  (mask only)
  l1_prune       prune.l1_unstructured(module, 'weight', 0.5)  (what users call)
  global_mask    prune.global_unstructured over 10 tensors totalling n, amount 0.5
  ln_structured  prune.ln_structured(conv [512, 512, 3, 3], amount 0.5, n=2, dim=0)

Run with /usr/bin/python3 (Debian's python3-torch):
  /usr/bin/python3 benchmarks/peers/torch_prune.py --threads 1 --repeats 3
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.utils.prune as prune


class Holder(torch.nn.Module):
    def __init__(self, w):
        super().__init__()
        self.weight = torch.nn.Parameter(w, requires_grad=False)


def timed(fn, repeats):
    """Wall and CPU seconds of each call (CPU time is the steadier on a loaded machine)."""
    wall, cpu = [], []
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--n", type=int, default=64 << 20)
    ap.add_argument("--cases", default="read_pass,l1_mask,l1_prune,global_mask,ln_structured")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(12345)
    n = args.n
    w = torch.randn(n, generator=g)
    cases = args.cases.split(",")

    def emit(case, n_elems, times):
        wall, cpu = times
        print(json.dumps({"system": "torch-" + torch.__version__, "case": case, "n": n_elems,
                          "threads": args.threads, "seconds": wall, "cpu_seconds": cpu,
                          "median_s": statistics.median(wall), "median_cpu_s": statistics.median(cpu)}),
              flush=True)

    if "read_pass" in cases:
        emit("read_pass", n, timed(lambda: w.sum().item(), max(args.repeats, 5)))
    if "l1_mask" in cases:
        method = prune.L1Unstructured(amount=0.5)
        emit("l1_mask", n, timed(lambda: method.compute_mask(w, default_mask=torch.ones_like(w)), args.repeats))
    if "l1_prune" in cases:
        def run():
            m = Holder(w.clone())
            return timed(lambda: prune.l1_unstructured(m, "weight", amount=0.5), 1)
        runs = [run() for _ in range(args.repeats)]
        emit("l1_prune", n, ([r[0][0] for r in runs], [r[1][0] for r in runs]))
    if "global_mask" in cases:
        sizes = [n // 65 * (i + 2) for i in range(9)]
        sizes.append(n - sum(sizes))
        def run():
            mods = [Holder(p.clone()) for p in torch.split(w, sizes)]
            return timed(lambda: prune.global_unstructured([(m, "weight") for m in mods],
                                                           pruning_method=prune.L1Unstructured, amount=0.5), 1)
        runs = [run() for _ in range(args.repeats)]
        emit("global_mask", n, ([r[0][0] for r in runs], [r[1][0] for r in runs]))
    if "ln_structured" in cases:
        c = w[: 512 * 512 * 9].reshape(512, 512, 3, 3)
        method = prune.LnStructured(amount=0.5, n=2, dim=0)
        emit("ln_structured", c.numel(),
             timed(lambda: method.compute_mask(c, default_mask=torch.ones_like(c)), max(args.repeats, 5)))


if __name__ == "__main__":
    main()
