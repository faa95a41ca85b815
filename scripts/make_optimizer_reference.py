#!/usr/bin/env python3
"""Reference trajectories of torch.optim's SGD, Adam, RMSprop and LBFGS on two small fixed problems.

Writes Tests/ImpastoOptimizersTests/ReferenceTrajectories.swift, which holds the problems' data and, for every
optimizer configuration, what torch did: the loss and the parameters at each step, and for LBFGS also the loss of
every closure evaluation (line-search trials included) and its iteration/evaluation counters.

The problems, built from the same float32 ops on both sides:
- Rosenbrock: f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 from (-1.5, 2), with x and y as two separate [1] parameters.
- Logistic regression with two independent binary outputs: z = X W + b,
  loss = mean(log(1 + exp(z)) - T * z) + 0.001 sum(W * W) (the L2 term keeps the optimum finite),
  X [64, 10], T [64, 2], W [10, 2], b [2] (22 parameters). The data are multiples of 1/32, so their decimal
  text is exact and short.

Run: scripts/dev-python.sh scripts/make_optimizer_reference.py
  or ${IMPASTO_PYTHON:-python3} scripts/make_optimizer_reference.py with torch installed.
"""
import os
import platform
import sys

import torch

torch.set_num_threads(1)  # one thread: reductions sum in a fixed order
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "Tests", "ImpastoOptimizersTests", "ReferenceTrajectories.swift")


def rounded(t, quantum=1 / 32):
    return torch.round(t / quantum) * quantum


def make_logistic_data():
    g = torch.Generator().manual_seed(20240611)
    inputs = rounded(torch.randn(64, 10, generator=g))
    truth = torch.randn(10, 2, generator=g)
    logits = inputs @ truth + 3 * torch.randn(64, 2, generator=g)
    targets = (logits > 0).float()
    weights = rounded(0.1 * torch.randn(10, 2, generator=g), 1 / 256)
    return inputs, targets, weights


INPUTS, TARGETS, WEIGHTS = make_logistic_data()


def rosenbrock_parameters():
    return [torch.tensor([-1.5]).requires_grad_(), torch.tensor([2.0]).requires_grad_()]


def rosenbrock_loss(params):
    x, y = params
    return ((1 - x) ** 2 + 100 * (y - x ** 2) ** 2).sum()


def logistic_parameters():
    return [WEIGHTS.clone().requires_grad_(), torch.zeros(2).requires_grad_()]


def logistic_loss(params):
    w, b = params
    z = INPUTS @ w + b
    return (torch.log(1 + torch.exp(z)) - TARGETS * z).mean() + 0.001 * (w * w).sum()


PROBLEMS = {
    "rosenbrock": (rosenbrock_parameters, rosenbrock_loss),
    "logistic": (logistic_parameters, logistic_loss),
}


def flat(params):
    return torch.cat([p.detach().reshape(-1) for p in params]).tolist()


def run_first_order(problem, make_optimizer, steps, learning_rate_changes=None):
    """Loss at the parameters each step starts from, and the parameters after it."""
    make_params, loss_fn = PROBLEMS[problem]
    params = make_params()
    optimizer = make_optimizer(params)
    losses, trajectory = [], []
    for step in range(steps):
        if learning_rate_changes and step in learning_rate_changes:
            optimizer.param_groups[0]["lr"] = learning_rate_changes[step]
        optimizer.zero_grad()
        loss = loss_fn(params)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        trajectory.append(flat(params))
    return dict(losses=losses, parameters=trajectory)


def run_lbfgs(problem, steps, **options):
    """Each `step` call's returned loss and the parameters after it, plus every closure evaluation's loss."""
    make_params, loss_fn = PROBLEMS[problem]
    params = make_params()
    optimizer = torch.optim.LBFGS(params, **options)
    evaluations = []

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(params)
        loss.backward()
        evaluations.append(loss.item())
        return loss

    losses, trajectory = [], []
    for _ in range(steps):
        losses.append(float(optimizer.step(closure).detach()))
        trajectory.append(flat(params))
    state = optimizer.state[params[0]]
    return dict(losses=losses, parameters=trajectory, evaluations=evaluations,
                iterations=state["n_iter"], functionEvaluations=state["func_evals"])


# foreach=False pins torch's single-tensor implementations (the CPU default anyway), which Impasto mirrors.
SGD = torch.optim.SGD
Adam = torch.optim.Adam
RMSprop = torch.optim.RMSprop
CASES = {
    "sgdPlain": run_first_order("logistic", lambda p: SGD(p, lr=0.5, foreach=False), 10,
                                learning_rate_changes={5: 0.25}),
    "sgdMomentum": run_first_order("logistic", lambda p: SGD(p, lr=0.2, momentum=0.9, dampening=0.1,
                                                             weight_decay=0.01, foreach=False), 10),
    "sgdNesterov": run_first_order("logistic", lambda p: SGD(p, lr=0.2, momentum=0.9, weight_decay=0.01,
                                                             nesterov=True, foreach=False), 10),
    "sgdRosenbrock": run_first_order("rosenbrock", lambda p: SGD(p, lr=2e-4, momentum=0.9, foreach=False), 20),
    "adamDefault": run_first_order("logistic", lambda p: Adam(p, foreach=False), 10),
    "adamAMSGrad": run_first_order("logistic", lambda p: Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-6,
                                                              weight_decay=0.01, amsgrad=True, foreach=False), 10),
    "adamRosenbrock": run_first_order("rosenbrock", lambda p: Adam(p, lr=0.05, foreach=False), 20),
    "rmspropDefault": run_first_order("logistic", lambda p: RMSprop(p, foreach=False), 10),
    "rmspropCentered": run_first_order("logistic", lambda p: RMSprop(p, lr=0.01, alpha=0.9, eps=1e-6,
                                                                     weight_decay=0.01, momentum=0.5,
                                                                     centered=True, foreach=False), 10),
    "rmspropRosenbrock": run_first_order("rosenbrock", lambda p: RMSprop(p, lr=0.01, foreach=False), 20),
    "lbfgsDefault": run_lbfgs("logistic", 3),
    "lbfgsWolfeLogistic": run_lbfgs("logistic", 2, line_search_fn="strong_wolfe"),
    "lbfgsWolfeRosenbrock": run_lbfgs("rosenbrock", 1, line_search_fn="strong_wolfe", max_iter=100),
    "lbfgsShortHistory": run_lbfgs("logistic", 2, line_search_fn="strong_wolfe", history_size=3, max_iter=15),
    "lbfgsNeuralStyle": run_lbfgs("logistic", 1, max_iter=40, tolerance_grad=-1, tolerance_change=-1,
                                  history_size=100),
}


def floats(values, per_line=8, indent="        "):
    text = [f"{v:.9g}" for v in values]
    if len(text) <= per_line:
        return "[" + ", ".join(text) + "]"
    lines = [", ".join(text[i:i + per_line]) for i in range(0, len(text), per_line)]
    return "[\n" + "".join(f"{indent}{line},\n" for line in lines) + indent[:-4] + "]"


def main():
    out = [
        "// Generated by scripts/make_optimizer_reference.py; do not edit.",
        f"// torch {torch.__version__}, Python {platform.python_version()}, {platform.machine()}.",
        "",
        "/// What torch.optim did on the fixed test problems (see the generating script for their definitions).",
        "enum Reference {",
        f'    static let torchVersion = "{torch.__version__}"',
        "",
        "    /// Logistic-regression inputs X [64, 10], row-major.",
        f"    static let logisticInputs: [Float] = {floats(INPUTS.reshape(-1).tolist(), 10)}",
        "    /// Logistic-regression targets T [64, 2] (0 or 1).",
        f"    static let logisticTargets: [Float] = {floats(TARGETS.reshape(-1).tolist(), 16)}",
        "    /// Initial logistic-regression weights W [10, 2]; the bias b [2] starts at zero.",
        f"    static let logisticWeights: [Float] = {floats(WEIGHTS.reshape(-1).tolist())}",
        "",
    ]
    for name, case in CASES.items():
        out.append(f"    static let {name} = Trajectory(")
        out.append(f"        losses: {floats(case['losses'], 6, '            ')},")
        rows = ",\n".join(f"            {floats(row, 8, '                ')}" for row in case["parameters"])
        out.append(f"        parameters: [\n{rows}\n        ]" + ("," if "evaluations" in case else ""))
        if "evaluations" in case:
            out.append(f"        evaluations: {floats(case['evaluations'], 6, '            ')},")
            out.append(f"        iterations: {case['iterations']}, functionEvaluations: {case['functionEvaluations']}")
        out.append("    )")
    out.append("}")
    with open(OUTPUT, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {os.path.relpath(OUTPUT, ROOT)} ({os.path.getsize(OUTPUT)} bytes) with torch {torch.__version__}")
    for name, case in CASES.items():
        extra = f", {len(case['evaluations'])} evaluations" if "evaluations" in case else ""
        print(f"  {name}: final loss {case['losses'][-1]:.6g}{extra}")


if __name__ == "__main__":
    sys.exit(main())
