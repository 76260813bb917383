#!/usr/bin/env python3
"""Pruning-mask table: tunekit (Google Benchmark JSON from tunekit_benchmarks
--benchmark_filter=pruning) against torch.nn.utils.prune (JSON lines from
peers/torch_prune.py), measured in the same run. Standard library only.

  python3 benchmarks/pruning_compare.py benchmarks/results/pruning/tunekit.json \
      benchmarks/results/pruning/torch.jsonl

Times are medians; CPU time is the steadier figure on a loaded machine (both
sides are single-threaded, so CPU time is their compute time).
"""
import json
import sys


def load_tunekit(path):
    out = {}
    for b in json.load(open(path))["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = b["run_name"].replace("/real_time", "")
        scale = {"ms": 1e-3, "us": 1e-6, "ns": 1e-9, "s": 1.0}[b["time_unit"]]
        out[name] = (b["real_time"] * scale, b["cpu_time"] * scale, b)
    return out


def load_torch(path):
    out = {}
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            r = json.loads(line)
            out[r["case"]] = (r["median_s"], r["median_cpu_s"])
    return out


def fmt(s):
    return f"{s * 1e3:.1f} ms" if s < 10 else f"{s:.1f} s"


def main():
    tk, th = load_tunekit(sys.argv[1]), load_torch(sys.argv[2])
    m64 = 64 << 20
    rows = [
        ("read pass, 64M float32", f"pruning_read_pass/{m64}", "read_pass"),
        ("L1 unstructured 0.5, 64M, mask", f"pruning_l1_mask/{m64}", "l1_mask"),
        ("L1 unstructured 0.5, 64M, prune in place", f"pruning_l1_prune/{m64}", "l1_prune"),
        ("global L1 0.5, 10 tensors = 64M", f"pruning_global_l1_mask/{m64}", "global_mask"),
        ("Ln structured (n=2, 0.5, dim 0), [512,512,3,3]", "pruning_ln_structured", "ln_structured"),
    ]
    print("| case | tunekit CPU | torch 1.13 CPU | **torch / tunekit (CPU)** | tunekit wall | torch wall | torch / tunekit (wall) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, tkey, pkey in rows:
        if tkey not in tk or pkey not in th:
            continue
        tw, tc, _ = tk[tkey]
        pw, pc = th[pkey]
        print(f"| {label} | {fmt(tc)} | {fmt(pc)} | **{pc / tc:.1f}×** | {fmt(tw)} | {fmt(pw)} | {pw / tw:.1f}× |")
    read = tk.get(f"pruning_read_pass/{m64}")
    if read:
        print()
        print("| tunekit case, 64M | CPU | × read pass (CPU) | wall | × read pass (wall) |")
        print("|---|---:|---:|---:|---:|")
        for key in (f"pruning_l1_mask/{m64}", f"pruning_l1_prune/{m64}", f"pruning_global_l1_mask/{m64}"):
            if key in tk:
                print(f"| {key.split('/')[0]} | {fmt(tk[key][1])} | {tk[key][1] / read[1]:.2f} | {fmt(tk[key][0])} | {tk[key][0] / read[0]:.2f} |")
    pairs = [("pruning_dense_matvec", "pruning_csr_matvec", "y = W x, 2048², 90 % sparse: dense (Eigen) vs CSR"),
             ("pruning_mlp_dense", "pruning_mlp_materialized", "digits MLP 64-128-10, batch 360: dense vs 50 % hidden units materialised")]
    print()
    print("| realised savings | before | after | after / before (CPU) | size before | size after |")
    print("|---|---:|---:|---:|---:|---:|")
    for a, b, label in pairs:
        if a in tk and b in tk:
            ca, cb = tk[a][1], tk[b][1]
            size = "bytes_of_weights" if "matvec" in a else "parameters"
            print(f"| {label} | {ca * 1e6:.1f} µs | {cb * 1e6:.1f} µs | {cb / ca:.2f} | "
                  f"{tk[a][2].get(size, 0):.0f} | {tk[b][2].get(size, 0):.0f} |")


if __name__ == "__main__":
    main()
