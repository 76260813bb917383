#!/usr/bin/python3
"""Reference masks of torch.nn.utils.prune (PyTorch 1.13) on a small module,
for tests/integrations/torch.test.cpp (tunekit::torch::parameter_masks).

    /usr/bin/python3 tests/data/torch/generate_module_prune_reference.py > tests/data/torch/module_prune_reference.json

The weights come from torch.manual_seed(0) and are stored bit-exactly (uint32
hex of each float32, row-major), so the C++ side prunes the very same
numbers. Each case starts from those weights, applies the listed prune calls
in order (a second call on one parameter goes through PyTorch's
PruningContainer) and stores every pruned parameter's final mask (0/1,
row-major). Normal weights have no ties at the pruning boundary (checked
below), so the masks are fully determined and must match exactly.
"""
import json
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.utils.prune as prune


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 16)
        self.conv = nn.Conv2d(4, 6, 3)
        self.fc2 = nn.Linear(16, 5)


def fresh():
    torch.manual_seed(0)
    net = Net()
    with torch.no_grad():  # normal weights: no ties, unlike the uniform init's few
        for p in net.parameters():
            p.copy_(torch.randn(p.shape))
    return net


CASES = [
    ("l1_fraction", [("l1", "fc1.weight", 0.3)]),
    ("l1_count", [("l1", "fc2.weight", 7)]),
    ("l1_conv", [("l1", "conv.weight", 0.45)]),
    ("ln2_rows", [("ln", "fc1.weight", 0.5, 2, 0)]),
    ("ln1_filters", [("ln", "conv.weight", 0.34, 1, 0)]),
    ("ln2_columns", [("ln", "fc2.weight", 0.25, 2, 1)]),
    ("ln_inf_rows", [("ln", "fc2.weight", 2, float("inf"), 0)]),
    ("global_l1", [("global", ["fc1.weight", "conv.weight", "fc2.weight"], 0.6)]),
    ("iterative_l1", [("l1", "fc1.weight", 0.5), ("l1", "fc1.weight", 0.5)]),
    ("l1_then_ln", [("l1", "fc1.weight", 0.2), ("ln", "fc1.weight", 0.25, 2, 0)]),
    ("global_twice", [("global", ["fc1.weight", "fc2.weight"], 0.4), ("global", ["fc1.weight", "fc2.weight"], 0.5)]),
]


def bits(t):
    return [format(struct.unpack("<I", struct.pack("<f", float(v)))[0], "08x") for v in t.detach().reshape(-1).tolist()]


def split(name):
    module, attr = name.rsplit(".", 1)
    return module, attr


def run(net, calls):
    mods = dict(net.named_modules())
    for call in calls:
        if call[0] == "l1":
            m, a = split(call[1])
            prune.l1_unstructured(mods[m], a, amount=call[2])
        elif call[0] == "ln":
            m, a = split(call[1])
            prune.ln_structured(mods[m], a, amount=call[2], n=call[3], dim=call[4])
        else:
            params = [(mods[split(n)[0]], split(n)[1]) for n in call[1]]
            prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=call[2])


def check_no_ties(net):
    """Distinct |w| over all parameters together, and distinct channel norms."""
    values = torch.cat([p.detach().abs().reshape(-1) for p in net.parameters()])
    assert values.unique().numel() == values.numel(), "tied magnitudes: the masks would not be determined"
    for p in net.parameters():
        if p.dim() < 2:
            continue
        for dim in range(2):
            others = [d for d in range(p.dim()) if d != dim]
            for n in (1, 2, float("inf")):
                norms = torch.norm(p.detach(), p=n, dim=others)
                assert norms.unique().numel() == norms.numel(), "tied channel norms"


def main():
    net = fresh()
    check_no_ties(net)
    out = {
        "generator": "tests/data/torch/generate_module_prune_reference.py",
        "torch_version": torch.__version__,
        "module": "fc1 = Linear(12, 16), conv = Conv2d(4, 6, 3), fc2 = Linear(16, 5); weights torch.randn after torch.manual_seed(0)",
        "parameters": {n: {"shape": list(p.shape), "bits": bits(p)} for n, p in net.named_parameters()},
        "cases": [],
    }
    for name, calls in CASES:
        net = fresh()
        mods = dict(net.named_modules())
        run(net, calls)
        masks = {}
        for mname, m in mods.items():
            for bname, buf in m.named_buffers(recurse=False):
                if bname.endswith("_mask"):
                    pname = (mname + "." if mname else "") + bname[: -len("_mask")]
                    masks[pname] = [int(v) for v in buf.reshape(-1).tolist()]
                    # the pruned parameter is weight_orig * mask: zero where the mask is
                    w = getattr(m, bname[: -len("_mask")])
                    assert bool(((w == 0) | (buf == 1)).all())
        calls_json = [
            {"method": c[0], "parameter" if c[0] != "global" else "parameters": c[1], "amount": c[2],
             **({"n": ("inf" if c[3] == float("inf") else c[3]), "dim": c[4]} if c[0] == "ln" else {})}
            for c in calls
        ]
        out["cases"].append({"name": name, "calls": calls_json, "masks": masks})
    json.dump(out, sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
