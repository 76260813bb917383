#!/usr/bin/python3
"""Extra PyTorch 1.13 reference vectors for tunekit's learning-rate schedules.

lr_reference.json (next to this file, copied from the project's shared test
data) covers one set of arguments per schedule. This script adds the cases it
does not: other arguments, behaviour far past the nominal end, momentum
cycling, custom scale functions, sequential and chained compositions (including
the quirks of PyTorch's shared parameter group), ReduceLROnPlateau in max/abs
mode, and several parameter groups.

Run with the system Python that has torch 1.13 (Debian's python3-torch):
    /usr/bin/python3 tests/data/torch/generate_lr_reference.py > tests/data/torch/lr_reference_extra.json

Protocol, as in lr_reference.json: the schedulers are built right after
torch.optim.SGD(groups, lr=..., momentum=...); then for each of n_steps steps
the lr (and momentum) of every group is recorded BEFORE opt.step();
sch.step() (ReduceLROnPlateau: sch.step(metrics[i])). Case entries:
    name, n_steps, lrs (one base lr per parameter group), momentum (SGD's),
    schedule: {class, kwargs} | {class: SequentialLR|ChainedScheduler,
               schedulers: [schedule...], milestones}
    lr[group][step], momentum[group][step] (when the schedule cycles it),
    metrics[step] (ReduceLROnPlateau), error_at_step (first step() that raised)
Floats are written with repr(): parse as double to get the same bits.
"""
import json
import math
import sys
import warnings

import torch

N = 120


def scale_fns():
    # Named custom scale functions (a C++ test defines the same ones).
    return {
        "half_pow": lambda x: 0.5 ** x,
        "inv_sqrt": lambda x: 1.0 / math.sqrt(x + 1.0),
    }


def lr_lambdas():
    # Named LambdaLR / MultiplicativeLR functions (a C++ test defines the same ones).
    return {
        "warmup_rsqrt": lambda e: min((e + 1) / 10, (10 / (e + 1)) ** 0.5),
        "times_0_95": lambda e: 0.95,
        "alternate": lambda e: 1.1 if e % 2 else 0.8,
    }


def build(opt, spec):
    cls = spec["class"]
    if cls == "SequentialLR":
        subs = [build(opt, s) for s in spec["schedulers"]]
        return torch.optim.lr_scheduler.SequentialLR(opt, subs, milestones=spec["milestones"])
    if cls == "ChainedScheduler":
        subs = [build(opt, s) for s in spec["schedulers"]]
        return torch.optim.lr_scheduler.ChainedScheduler(subs)
    kwargs = dict(spec["kwargs"])
    if "scale_fn" in kwargs:
        kwargs["scale_fn"] = scale_fns()[kwargs["scale_fn"]]
    if "lr_lambda" in kwargs:
        kwargs["lr_lambda"] = lr_lambdas()[kwargs["lr_lambda"]]
    return getattr(torch.optim.lr_scheduler, cls)(opt, **kwargs)


def metric(t):
    # A noisy plateauing curve that goes up (for mode='max'), no RNG.
    return 0.9 - 0.8 * math.exp(-t / 15.0) + 0.01 * math.sin(1.7 * t) + (0.05 if t >= 70 else 0.0)


def run(name, schedule, lrs=(0.1,), momentum=0.0, n_steps=N, metrics=False):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, lrs)]
    opt = torch.optim.SGD(groups, lr=lrs[0], momentum=momentum)
    out = {"name": name, "n_steps": n_steps, "lrs": list(lrs), "momentum": momentum, "schedule": schedule}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sch = build(opt, schedule)
        ms = [metric(t) for t in range(n_steps)] if metrics else None
        lr = [[] for _ in lrs]
        mom = [[] for _ in lrs]
        for i in range(n_steps):
            for g, group in enumerate(opt.param_groups):
                lr[g].append(group["lr"])
                mom[g].append(group["momentum"])
            opt.step()
            try:
                if metrics:
                    sch.step(ms[i])
                else:
                    sch.step()
            except (ValueError, ZeroDivisionError) as e:
                out["error_at_step"] = i
                out["error"] = f"{type(e).__name__}: {e}"
                for g in range(len(lrs)):
                    lr[g] = lr[g][: i + 1]
                    mom[g] = mom[g][: i + 1]
                break
    out["lr"] = lr
    if any(m != momentum for ms_ in mom for m in ms_):
        out["momentum_values"] = mom
    if metrics:
        out["metrics"] = ms[: len(lr[0])]
    return out


def s(cls, **kwargs):
    return {"class": cls, "kwargs": kwargs}


cases = [
    run("step_7_half", s("StepLR", step_size=7, gamma=0.5)),
    run("step_1", s("StepLR", step_size=1, gamma=0.9)),
    run("multistep_unsorted_duplicates", s("MultiStepLR", milestones=[30, 10, 30, 0, 200], gamma=0.5)),
    run("exponential_0_9", s("ExponentialLR", gamma=0.9)),
    run("exponential_growth", s("ExponentialLR", gamma=1.01)),
    run("cosine_tmax_7", s("CosineAnnealingLR", T_max=7)),
    run("cosine_tmax_1", s("CosineAnnealingLR", T_max=1, eta_min=0.01)),
    run("cosine_eta_above_base", s("CosineAnnealingLR", T_max=13, eta_min=0.3)),
    run("warm_restarts_tmult_1", s("CosineAnnealingWarmRestarts", T_0=7)),
    run("warm_restarts_t0_1_tmult_3", s("CosineAnnealingWarmRestarts", T_0=1, T_mult=3, eta_min=0.001)),
    run("onecycle_epochs", s("OneCycleLR", max_lr=0.3, epochs=10, steps_per_epoch=12, pct_start=0.25,
                             div_factor=10.0, final_div_factor=100.0), momentum=0.9, n_steps=122),
    run("onecycle_linear_three_phase_momentum", s("OneCycleLR", max_lr=1.0, total_steps=97, pct_start=0.4,
                                                  anneal_strategy="linear", three_phase=True,
                                                  base_momentum=0.8, max_momentum=0.99),
        momentum=0.9, n_steps=99),
    run("onecycle_pct_0", s("OneCycleLR", max_lr=0.2, total_steps=50, pct_start=0.0, cycle_momentum=False),
        n_steps=52),
    run("onecycle_pct_1", s("OneCycleLR", max_lr=0.2, total_steps=50, pct_start=1.0, cycle_momentum=False),
        n_steps=52),
    run("onecycle_pct_1_three_phase", s("OneCycleLR", max_lr=0.2, total_steps=50, pct_start=1.0,
                                        three_phase=True, cycle_momentum=False), n_steps=52),
    run("onecycle_total_1", s("OneCycleLR", max_lr=0.2, total_steps=1, cycle_momentum=False), n_steps=3),
    run("linear_decay", s("LinearLR", start_factor=1.0, end_factor=0.05, total_iters=60)),
    run("linear_total_0", s("LinearLR", start_factor=0.25, total_iters=0)),
    run("linear_defaults", s("LinearLR")),
    run("constant_defaults", s("ConstantLR")),
    run("constant_total_0", s("ConstantLR", factor=0.5, total_iters=0)),
    run("constant_factor_0_total_0", s("ConstantLR", factor=0.0, total_iters=0)),
    run("polynomial_sqrt", s("PolynomialLR", total_iters=77, power=0.5)),
    run("polynomial_linear_total_1", s("PolynomialLR", total_iters=1)),
    run("polynomial_power_0", s("PolynomialLR", total_iters=10, power=0.0)),
    run("cyclic_momentum", s("CyclicLR", base_lr=0.001, max_lr=0.05, step_size_up=9, step_size_down=4,
                             mode="triangular2"), momentum=0.9),
    run("cyclic_exp_range_momentum", s("CyclicLR", base_lr=0.02, max_lr=0.2, step_size_up=5,
                                       mode="exp_range", gamma=0.97, base_momentum=0.7, max_momentum=0.95),
        momentum=0.9),
    run("cyclic_down_0", s("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=6, step_size_down=0,
                           cycle_momentum=False)),
    run("cyclic_scale_fn_cycle", s("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=10,
                                   scale_fn="half_pow", cycle_momentum=False)),
    run("cyclic_scale_fn_iterations", s("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=10,
                                        scale_fn="inv_sqrt", scale_mode="iterations", cycle_momentum=False)),
    run("sequential_constant_exponential",
        {"class": "SequentialLR", "schedulers": [s("ConstantLR", factor=0.1, total_iters=2),
                                                 s("ExponentialLR", gamma=0.9)], "milestones": [2]}),
    run("sequential_three",
        {"class": "SequentialLR", "schedulers": [s("LinearLR", start_factor=0.2, total_iters=5),
                                                 s("StepLR", step_size=10, gamma=0.5),
                                                 s("CosineAnnealingLR", T_max=30, eta_min=0.001)],
         "milestones": [5, 40]}),
    run("sequential_into_restarts",
        {"class": "SequentialLR", "schedulers": [s("LinearLR", start_factor=0.1, total_iters=8),
                                                 s("CosineAnnealingWarmRestarts", T_0=10, T_mult=2)],
         "milestones": [8]}),
    run("sequential_into_cyclic",
        {"class": "SequentialLR", "schedulers": [s("ExponentialLR", gamma=0.95),
                                                 s("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=7,
                                                   cycle_momentum=False)],
         "milestones": [20]}),
    run("sequential_into_onecycle",
        {"class": "SequentialLR", "schedulers": [s("ConstantLR", factor=0.5, total_iters=100),
                                                 s("OneCycleLR", max_lr=0.4, total_steps=200,
                                                   cycle_momentum=False)],
         "milestones": [10]}),
    run("sequential_into_linear_polynomial",
        {"class": "SequentialLR", "schedulers": [s("MultiStepLR", milestones=[3, 6], gamma=0.5),
                                                 s("LinearLR", start_factor=0.3, end_factor=0.9, total_iters=10),
                                                 s("PolynomialLR", total_iters=20, power=2.0)],
         "milestones": [9, 30]}),
    run("chained_constant_exponential",
        {"class": "ChainedScheduler", "schedulers": [s("ConstantLR", factor=0.5, total_iters=10),
                                                     s("ExponentialLR", gamma=0.95)]}),
    run("chained_linear_cosine",
        {"class": "ChainedScheduler", "schedulers": [s("LinearLR", start_factor=0.1, total_iters=10),
                                                     s("CosineAnnealingLR", T_max=50, eta_min=0.001)]}),
    run("chained_step_multistep_polynomial",
        {"class": "ChainedScheduler", "schedulers": [s("StepLR", step_size=10, gamma=0.8),
                                                     s("MultiStepLR", milestones=[25, 50], gamma=0.5),
                                                     s("PolynomialLR", total_iters=90, power=1.5)]}),
    run("chained_exponential_cyclic",
        {"class": "ChainedScheduler", "schedulers": [s("ExponentialLR", gamma=0.99),
                                                     s("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=10,
                                                       cycle_momentum=False)]}),
    run("chained_sequential_exponential",
        {"class": "ChainedScheduler", "schedulers": [
            {"class": "SequentialLR", "schedulers": [s("LinearLR", start_factor=0.1, total_iters=5),
                                                     s("CosineAnnealingLR", T_max=40)], "milestones": [5]},
            s("ExponentialLR", gamma=0.99)]}),
    run("lambda_warmup_rsqrt", s("LambdaLR", lr_lambda="warmup_rsqrt")),
    run("multiplicative_alternate", s("MultiplicativeLR", lr_lambda="alternate")),
    run("chained_multiplicative_cosine",
        {"class": "ChainedScheduler", "schedulers": [s("MultiplicativeLR", lr_lambda="times_0_95"),
                                                     s("CosineAnnealingLR", T_max=30)]}),
    run("sequential_into_lambda_multiplicative",
        {"class": "SequentialLR", "schedulers": [s("ConstantLR", factor=0.5, total_iters=50),
                                                 s("LambdaLR", lr_lambda="warmup_rsqrt"),
                                                 s("MultiplicativeLR", lr_lambda="times_0_95")],
         "milestones": [5, 60]}),
    # One-cycle writes initial_lr/max_lr/min_lr into the group: later schedules take
    # their base lr from it, and a second one-cycle changes what the first reads.
    run("chained_onecycle_exponential",
        {"class": "ChainedScheduler", "schedulers": [s("OneCycleLR", max_lr=0.5, total_steps=200,
                                                       cycle_momentum=False),
                                                     s("ExponentialLR", gamma=0.99)]}),
    run("sequential_two_onecycles",
        {"class": "SequentialLR", "schedulers": [s("OneCycleLR", max_lr=0.5, total_steps=300),
                                                 s("OneCycleLR", max_lr=0.2, total_steps=100, div_factor=5.0)],
         "milestones": [40]}, momentum=0.9),
    run("sequential_cyclic_first",
        {"class": "SequentialLR", "schedulers": [s("CosineAnnealingLR", T_max=10),
                                                 s("CyclicLR", base_lr=0.05, max_lr=0.3, step_size_up=4),
                                                 s("StepLR", step_size=3, gamma=0.5)],
         "milestones": [15, 50]}, momentum=0.5),
    run("plateau_max_abs", s("ReduceLROnPlateau", mode="max", factor=0.3, patience=3, threshold=0.01,
                             threshold_mode="abs", cooldown=0, min_lr=1e-5), metrics=True),
    run("plateau_min_abs_patience_0", s("ReduceLROnPlateau", mode="min", factor=0.7, patience=0,
                                        threshold=0.0, threshold_mode="abs", cooldown=3), metrics=True),
    run("plateau_max_rel_eps", s("ReduceLROnPlateau", mode="max", factor=0.5, patience=2, threshold=0.001,
                                 cooldown=1, min_lr=0.004, eps=0.003), metrics=True),
    run("plateau_defaults", s("ReduceLROnPlateau", mode="max"), metrics=True),
    # Several parameter groups: every schedule treats them independently.
    run("groups_cosine", s("CosineAnnealingLR", T_max=20, eta_min=0.001), lrs=(0.1, 0.02)),
    run("groups_onecycle", s("OneCycleLR", max_lr=[0.5, 0.05], total_steps=100), lrs=(0.1, 0.02),
        momentum=0.9, n_steps=101),
    run("groups_cyclic", s("CyclicLR", base_lr=[0.01, 0.002], max_lr=[0.1, 0.03], step_size_up=8,
                           mode="triangular2"), lrs=(0.1, 0.02), momentum=0.9),
    run("groups_plateau", s("ReduceLROnPlateau", mode="max", factor=0.5, patience=1, min_lr=[0.02, 0.0005]),
        lrs=(0.1, 0.002), metrics=True),
    run("groups_sequential",
        {"class": "SequentialLR", "schedulers": [s("LinearLR", start_factor=0.1, total_iters=10),
                                                 s("CosineAnnealingLR", T_max=90)], "milestones": [10]},
        lrs=(0.1, 0.02)),
]

json.dump({
    "generator": "tests/data/torch/generate_lr_reference.py",
    "torch_version": torch.__version__,
    "python_version": sys.version.split()[0],
    "cases": cases,
}, sys.stdout, indent=1)
sys.stdout.write("\n")
