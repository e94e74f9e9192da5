"""Risk quantification (``risk.quantify``): a Monte Carlo of a year's losses over a register, against per-risk loops.

    .venv/bin/python bench/quantify.py [--sizes 1000 10000] [--trials 100000] [--loop-risks 100]
                                       [--loop-trials 2000] [--smoke]

Targets on 2 cores (issue 26): 1,000 risks x 100,000 years under 0.5 s; 10,000 risks x 100,000 years under 5 s and
under 1 GB peak. Each size runs in a fresh interpreter (its own peak, ru_maxrss, as bench/peak_memory.py measures
it; the interpreter with pandas and the suite imported is the floor) and is timed best of 3 (the tail contribution's
second pass is left out by the settings at these sizes, and timed once at the first size).

Compared in the same run:
- the previous engine (issue 26's first version: one float32 uniform per risk and year for the occurrences, numpy's
  float32 ziggurat for the sizes, fresh arrays per chunk, the same chunks and threads), year totals only, timed best of
  --repeat alternately with the engine on the first size,
- a straightforward Python loop, year by year and risk by risk (``random``), on --loop-risks x --loop-trials and
  scaled to each size (it is linear in risks x years, marked "est."),
- a per-risk numpy loop (each risk's occurrences and sizes for every year, added up), on the first size (scaled
  beyond it),
- sampling only the occurrences: per risk a Binomial count of the years it occurs, that many distinct years
  (``Generator.choice`` without replacement: a risk occurs at most once a year) and that many lognormal draws,
  summed with ``np.bincount``; on the first size.

Checks (``--smoke`` too): every method's expected loss within 5 standard errors of the closed form (sum of chance x
mean impact); the engine gives the same numbers twice with the same seed and other numbers with another seed. The
register is western-cape-5x5 with a money scale added, levels 1-5 drawn evenly (so the mean chance is 0.42), a tenth
of the risks with their own probability and money range, 5 % opportunities, 5 categories and 4 objectives.
``--smoke``: 50 risks x 2,000 years.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, arguments, check, machine  # noqa: E402

from workbook_lib.assessments.risk.methodology import ImpactMoney, load_methodology  # noqa: E402
from workbook_lib.assessments.risk.quantify import median, quantify  # noqa: E402
from workbook_lib.assessments.risk.quantify_inputs import load_settings, risk_inputs  # noqa: E402

CATEGORIES = np.array(["Financial", "Compliance", "Operational", "Strategic", "Reputational"], dtype=object)
OBJECTIVES = np.array(["Water", "Roads", "Housing", "Governance"], dtype=object)
BOUNDS = [10_000, 100_000, 1_000_000, 10_000_000]

STEP = """
import json, resource, sys, time
sys.path.insert(0, {bench!r})
from quantify import methodology, synthetic
from workbook_lib.assessments.risk.quantify import quantify
from workbook_lib.assessments.risk.quantify_inputs import load_settings, risk_inputs
n, trials, repeat = {n}, {trials}, {repeat}
out = {{}}
if n:
    m = methodology()
    start = time.perf_counter()
    inputs = risk_inputs(synthetic(n), m, "inherent")
    out["inputs_s"] = time.perf_counter() - start
    times = []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        q = quantify(inputs, trials=trials)
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    wall, cpu = min(times)
    out.update(engine_s=wall, cpu_s=cpu, expected_loss=q.expected_loss)
out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def methodology():
    m = load_methodology("western-cape-5x5").methodology
    return m.model_copy(update={"impact_money": ImpactMoney(currency="ZAR", upper_bounds=BOUNDS)})


def synthetic(n: int, seed: int = 7) -> pd.DataFrame:
    """n risks built with numpy: levels 1-5 evenly, a tenth with their own numbers, 5 % opportunities."""
    rng = np.random.default_rng(seed)
    own = rng.random(n) < 0.10
    low = 10 ** rng.uniform(3, 6, n)
    return pd.DataFrame({
        "risk_id": [f"R{i}" for i in range(n)], "category": CATEGORIES[rng.integers(0, len(CATEGORIES), n)],
        "objective": OBJECTIVES[rng.integers(0, len(OBJECTIVES), n)],
        "inherent_likelihood": rng.integers(1, 6, n), "inherent_impact": rng.integers(1, 6, n),
        "probability": np.where(own, rng.uniform(0.01, 0.6, n), np.nan), "impact_low": np.where(own, low, np.nan),
        "impact_high": np.where(own, low * 10 ** rng.uniform(0.3, 1.5, n), np.nan),
        "opportunity": rng.random(n) < 0.05})


def closed_form(threats: pd.DataFrame, trials: int) -> tuple[float, float]:
    """Expected annual loss (sum of chance x mean impact) and the standard error of its estimate over ``trials``."""
    p, mid, s = threats["probability"].to_numpy(), median(threats), threats["sigma"].to_numpy()
    mean, second = mid * np.exp(s ** 2 / 2), mid ** 2 * np.exp(2 * s ** 2)
    return float(np.sum(p * mean)), math.sqrt(float(np.sum(p * second - (p * mean) ** 2)) / trials)


def python_loop(threats: pd.DataFrame, trials: int, seed: int = 1) -> np.ndarray:
    """Year by year, risk by risk: does it occur, and if so how large."""
    rng = random.Random(seed)
    risks = list(zip(threats["probability"], threats["mu"], threats["sigma"], strict=True))
    out = np.zeros(trials)
    for year in range(trials):
        total = 0.0
        for p, mu, sigma in risks:
            if rng.random() < p:
                total += rng.lognormvariate(mu, sigma)
        out[year] = total
    return out


def numpy_loop(threats: pd.DataFrame, trials: int, seed: int = 1) -> np.ndarray:
    """Risk by risk, every year at once: its occurrences and a size for every year, added up."""
    rng = np.random.default_rng(seed)
    out = np.zeros(trials)
    for p, mu, sigma in zip(threats["probability"], threats["mu"], threats["sigma"], strict=True):
        out += np.where(rng.random(trials) < p, rng.lognormal(mu, sigma, trials), 0.0)
    return out


def occurrences(threats: pd.DataFrame, trials: int, seed: int = 1) -> np.ndarray:
    """Only the occurrences: per risk a Binomial count, that many distinct years and that many sizes."""
    rng = np.random.default_rng(seed)
    counts = rng.binomial(trials, threats["probability"].to_numpy())
    years = np.concatenate([rng.choice(trials, k, replace=False) for k in counts])
    sizes = np.exp(np.repeat(threats["mu"].to_numpy(), counts)
                   + np.repeat(threats["sigma"].to_numpy(), counts) * rng.standard_normal(counts.sum()))
    return np.bincount(years, sizes, minlength=trials)


def previous_engine(threats: pd.DataFrame, trials: int, seed: int = 1, chunk_cells: int = 1_000_000) -> np.ndarray:
    """The engine before this version, year totals only: per chunk one float32 uniform per risk and year against its
    chance, then one float32 ziggurat normal per occurrence, summed per year with ``np.bincount``; fresh arrays per
    chunk, chunks on all processors."""
    p, n = threats["probability"].to_numpy(float), len(threats)
    certain, uncertain = p >= 1, (p > 0) & (p < 1)
    chance = p[uncertain].astype(np.float32)[:, None]
    sigma, middle = threats["sigma"].to_numpy(float).astype(np.float32), median(threats)
    per_chunk = max(1, chunk_cells // n)
    chunks = [(start, min(per_chunk, trials - start)) for start in range(0, trials, per_chunk)]
    seeds = np.random.SeedSequence(seed).spawn(len(chunks))

    def chunk(i: int) -> np.ndarray:
        rng, years = np.random.default_rng(seeds[i]), chunks[i][1]
        occurs = np.zeros((n, years), dtype=bool)
        occurs[certain] = True
        occurs[uncertain] = rng.random((len(chance), years), dtype=np.float32) < chance
        at = np.flatnonzero(occurs)
        counts = np.diff(np.searchsorted(at, np.arange(n + 1) * years))
        size = rng.standard_normal(len(at), dtype=np.float32)
        size *= np.repeat(sigma, counts)
        np.exp(size, out=size)
        year = at - np.repeat(np.arange(n) * years, counts)
        return np.bincount(year, size * np.repeat(middle, counts), minlength=years)

    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        return np.concatenate(list(pool.map(chunk, range(len(chunks)))))


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def in_fresh_process(n: int, trials: int, repeat: int) -> dict:
    code = STEP.format(bench=str(ROOT / "bench"), n=n, trials=trials, repeat=repeat)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    check(out.returncode == 0, f"{n:,} risks failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    ap.add_argument("--trials", type=int, default=100_000)
    ap.add_argument("--loop-risks", type=int, default=100, help="risks the Python loop runs on (scaled up)")
    ap.add_argument("--loop-trials", type=int, default=2_000, help="years the Python loop runs on (scaled up)")
    ap.add_argument("--repeat", type=int, default=3)
    args = arguments(ap, smoke={"sizes": [50], "trials": 2_000, "loop_risks": 20, "loop_trials": 200, "repeat": 1})
    print(machine())
    m, trials = methodology(), args.trials

    # each size in its own process, first (a child keeps its parent's peak memory as its own starting point): best of
    # --repeat, and the peak memory
    floor = in_fresh_process(0, trials, 1)["peak_mb"]
    sizes = {n: in_fresh_process(n, trials, args.repeat) for n in args.sizes}

    # the methods compared, on the first size, in this process
    first = args.sizes[0]
    inputs = risk_inputs(synthetic(first), m, "inherent")
    threats = inputs.risks[inputs.risks["side"] == "threat"]
    expected, error = closed_form(threats, trials)
    print(f"register: {first:,} risks ({len(threats):,} threats, mean chance {threats['probability'].mean():.2f}), "
          f"{trials:,} years: expected loss {expected:,.0f} (standard error {error:,.0f})")
    q = quantify(inputs, trials)
    engine_s, previous_s = math.inf, math.inf
    for _ in range(args.repeat):  # alternately, so both meet the same machine
        engine_s = min(engine_s, timed(quantify, inputs, trials)[0])
        previous_s = min(previous_s, timed(previous_engine, threats, trials)[0])
    check(abs(q.expected_loss - expected) < 5 * error, f"engine: {q.expected_loss:,.0f} vs {expected:,.0f}")
    loss = previous_engine(threats, trials)
    check(abs(loss.mean() - expected) < 5 * error, f"previous engine: {loss.mean():,.0f} vs {expected:,.0f}")
    again, other = quantify(inputs, trials).to_json(), quantify(inputs, trials, seed=q.seed + 1).to_json()
    check(json.dumps(q.to_json()) == json.dumps(again), "the same seed gave other numbers")
    check(again["quantiles"] != other["quantiles"], "another seed gave the same numbers")
    tail = load_settings().model_copy(update={"tail_contribution_cells": first * trials})
    tail_s, with_tail = timed(quantify, risk_inputs(synthetic(first), m, "inherent", tail), trials)
    tail_sum = with_tail.per_risk_contribution["tail_loss"].sum()
    shortfall = with_tail.expected_shortfall
    check(abs(tail_sum - shortfall) <= 1e-6 * shortfall,
          f"the tail contributions sum to {tail_sum:,.0f}, not the expected shortfall {shortfall:,.0f}")
    rows = {"engine": engine_s, "engine with the tail contribution": tail_s,
            "previous engine (uniforms, ziggurat; best of)": previous_s}
    for name, fn in (("per-risk numpy loop", numpy_loop), ("occurrences only (Binomial, distinct years)",
                                                          occurrences)):
        seconds, loss = timed(fn, threats, trials)
        check(abs(loss.mean() - expected) < 5 * error, f"{name}: {loss.mean():,.0f} vs {expected:,.0f}")
        rows[name] = seconds
    small = threats.head(args.loop_risks)
    loop_s, loss = timed(python_loop, small, args.loop_trials)
    small_expected, small_error = closed_form(small, args.loop_trials)
    check(abs(loss.mean() - small_expected) < 5 * small_error, "the Python loop disagrees with the closed form")
    per_cell = loop_s / (len(small) * args.loop_trials)
    events = float(threats["probability"].sum() * trials)
    print(f"\n{first:,} risks x {trials:,} years ({events:,.0f} occurrences of threats), one process (the engine and "
          f"the previous engine: best of {args.repeat}, alternately; the others: one run):")
    print(f"{'method':>46} {'seconds':>9} {'/ engine':>10}")
    for name, seconds in rows.items():
        print(f"{name:>46} {seconds:>9.3f} {seconds / engine_s:>9.1f}x")
    print(f"{'Python loop (' + f'{len(small)} x {args.loop_trials:,}' + ', scaled)':>46} "
          f"{per_cell * len(threats) * trials:>9.1f} {per_cell * len(threats) * trials / engine_s:>9.0f}x")

    print(f"\n{'risks':>8} {'years':>9} {'inputs s':>9} {'engine s':>9} {'CPU s':>7} {'peak MB':>8} "
          f"{'loop s est.':>12} {'ratio':>7}   (floor: {floor:.0f} MB; CPU: both threads' time, the best run)")
    for n, r in sizes.items():
        loop = per_cell * n * 0.95 * trials  # the threats (5 % are opportunities)
        print(f"{n:>8,} {trials:>9,} {r['inputs_s']:>9.3f} {r['engine_s']:>9.3f} {r['cpu_s']:>7.2f} "
              f"{r['peak_mb']:>8.0f} {loop:>12.1f} {loop / r['engine_s']:>6.0f}x")


if __name__ == "__main__":
    main()
