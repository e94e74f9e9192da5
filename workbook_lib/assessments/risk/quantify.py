"""Risk quantification (the guide's "risk intelligent" tier, Table 23 and Diagram 10): a Monte Carlo of a year's
losses over the register.

Each risk occurs at most once a year, with its annual probability, independently of the others; when it occurs its
size is drawn from a lognormal fitted to its 90 % money interval (quantify_inputs). A simulated year's loss is the
sum of the threats that occurred, its gain the sum of the opportunities. ``quantify`` returns the expected annual
loss, the loss at each confidence, the loss exceedance curve (for the register, each category and each objective),
each risk's contribution, the chance of a loss above a tolerable annual loss and the value map: each threat's and
opportunity's range of outcomes and the net value of opportunities against threats. docs/quantification.md.

Speed: the years are drawn in chunks of ``chunk_cells`` risks x years on all processors, each chunk from its own
generator (SFC64) spawned from the seed, so the numbers depend on the seed, the trials, the register and
``chunk_cells``, never on how many threads drew them. Per chunk:

- a risk with a chance of 1 occurs every year (nothing drawn; its sizes fill a risk x year block summed by rows per
  cell, without keys), one of 0 never;
- a common risk (a chance of 1/64 or more) occurs in a year when a 16-bit random number is below round(p x 65,536):
  its chance is used **to the nearest 1/65,536** (0.0015 percentage points; a chance within 1/131,072 of 1 is
  drawn as certain);
- a rare risk (below 1/64) is drawn by the gaps between the years it occurs, floor(log u / log(1 - p)) + 1 years
  each (geometric, its exact chance), in chunks of their own with ``RARE_SPAN`` times the cells (each from its own
  generator of the seed too): rare risks cost little and are not rounded;
- each occurrence's size is exp(sigma x z) x median with z a standard normal by Box-Muller from two 32-bit random
  numbers (float32; draws reach 6.8 standard deviations, beyond which lies a chance of 1 in 10 ** 11);
- the sizes are summed per year and cell (category x objective) with ``np.bincount``, into arrays each thread
  keeps from chunk to chunk (fresh memory per chunk cost more in page faults than the arithmetic).

Each risk's share of the worst years draws the chunks again and computes only the sizes in those years.
bench/quantify.py measures it; bench/RESULTS.md says what was tried.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from workbook_lib.assessments.risk.methodology import Methodology
from workbook_lib.assessments.risk.quantify_inputs import (
    MAX_TRIALS,
    NO_OBJECTIVE,
    QuantificationSettings,
    RiskInputs,
    risk_inputs,
)
from workbook_lib.core.params import ParameterError


@dataclass
class Quantification:
    """One stage's results. Amounts are a year's money; chances are 0-1. ``quantiles``: confidence -> annual loss;
    ``exceedance``: (loss, chance of a year's loss above it); ``per_category`` and ``per_objective``: name ->
    {expected_loss, q95, quantiles, exceedance} of the threats in it; ``per_risk_contribution``: one row per threat
    (risk_id, category, objective, expected_loss, share, volatility, tail_loss, tail_share); ``net_value``: a year's
    gains less losses (expected and its interval); ``value_map``: one row per risk, its inputs and where they came
    from, and its range of outcomes (given it occurs, and over a year)."""

    stage: str
    seed: int
    trials: int
    currency: str
    expected_loss: float
    standard_error: float  # of expected_loss: the simulation's own error (a year's spread / sqrt(trials))
    quantiles: dict[float, float]
    exceedance: list[tuple[float, float]]
    tail: float
    expected_shortfall: float  # the mean loss of the years at or above the tail quantile
    per_category: dict[str, dict]
    per_objective: dict[str, dict]
    per_risk_contribution: pd.DataFrame
    tolerable_loss: float | None
    chance_above_tolerable: float | None
    net_value: dict[str, float]
    value_map: pd.DataFrame
    not_quantified: pd.DataFrame
    assumptions: list[str]

    def to_json(self) -> dict:
        """Plain JSON values: the issue's ``quantification`` keys, then net_value, value_map, per_objective, the risks
        not quantified and the assumptions."""
        return _plain({
            "stage": self.stage, "seed": self.seed, "trials": self.trials, "currency": self.currency,
            "expected_loss": self.expected_loss, "standard_error": self.standard_error,
            "quantiles": {str(q): v for q, v in self.quantiles.items()},
            "exceedance": [{"loss": x, "probability": p} for x, p in self.exceedance],
            "per_category": _groups_json(self.per_category),
            "per_risk_contribution": self.per_risk_contribution.to_dict("records"),
            "tolerable_loss": self.tolerable_loss, "chance_above_tolerable": self.chance_above_tolerable,
            "tail": self.tail, "expected_shortfall": self.expected_shortfall, "net_value": self.net_value,
            "value_map": self.value_map.to_dict("records"), "per_objective": _groups_json(self.per_objective),
            "not_quantified": self.not_quantified.to_dict("records"), "assumptions": self.assumptions,
        })


def quantify_register(register: pd.DataFrame, m: Methodology, stage: str = "residual", **options) -> Quantification:
    """``quantify(risk_inputs(register, m, stage), **options)``."""
    return quantify(risk_inputs(register, m, stage, options.get("settings")), **options)


def quantify(inputs: RiskInputs, trials: int | None = None, seed: int | None = None,
             tolerable_loss: float | None = None, settings: QuantificationSettings | None = None,
             threads: int | None = None) -> Quantification:
    """Simulate ``trials`` years (default: the settings') with ``seed``; the same three give the same numbers."""
    s = settings or inputs.settings
    trials, seed = s.trials if trials is None else trials, s.seed if seed is None else seed
    if not (isinstance(trials, int) and 1 <= trials <= MAX_TRIALS) or not (isinstance(seed, int) and seed >= 0):
        raise ParameterError(f"trials {trials!r} and seed {seed!r}: expected 1 to {MAX_TRIALS:,} years and a seed of "
                             "0 or more (whole numbers)")
    if tolerable_loss is not None and not (math.isfinite(tolerable_loss) and tolerable_loss >= 0):
        raise ParameterError(f"tolerable loss {tolerable_loss!r}: expected an amount of money, 0 or more")
    r = inputs.risks
    threat = (r["side"] == "threat").to_numpy()
    categories, cat_note = _names(r["category"][threat], s.max_groups, "categories")
    objectives, obj_note = _names(r["objective"][threat], s.max_groups, "objectives")
    if objectives == [NO_OBJECTIVE]:
        objectives = []
    with_tail = len(r) * trials <= s.tail_contribution_cells
    with _Simulation(r, _Cells(r, threat, categories, objectives), trials, seed, s, threads) as sim:
        by_category, by_objective, gain = sim.run()  # a year's losses per category and per objective, its gains
        loss = by_category.sum(axis=0)
        ordered = np.sort(loss)
        quantiles = dict(zip(s.confidence, np.quantile(ordered, s.confidence).tolist(), strict=True))
        in_tail = loss >= quantiles[s.tail]
        tail = sim.tail_losses(in_tail)[threat] if with_tail else None
    contribution = _contributions(r[threat], tail)
    tail_note = [] if with_tail else [
        f"Each risk's contribution to the worst {(1 - s.tail) * 100:g} % of years was not drawn: {len(r):,} risks x "
        f"{trials:,} years is more than {s.tail_contribution_cells:,} (tail_contribution_cells)."]
    net = gain - loss
    chance = None if tolerable_loss is None else np.count_nonzero(loss > tolerable_loss) / trials
    notes = [*inputs.assumptions, *cat_note, *obj_note, *tail_note, *_method_notes(s, trials, seed)]
    return Quantification(
        stage=inputs.stage, seed=seed, trials=trials, currency=inputs.currency, expected_loss=float(loss.mean()),
        standard_error=float(loss.std(ddof=1) / math.sqrt(trials)) if trials > 1 else math.nan,
        quantiles=quantiles, exceedance=exceedance(ordered, s.exceedance_points, tolerable_loss, ordered=True),
        tail=s.tail,
        expected_shortfall=float(loss[in_tail].mean()),
        per_category=_per_group(categories, by_category, s), per_objective=_per_group(objectives, by_objective, s),
        per_risk_contribution=contribution, tolerable_loss=tolerable_loss, chance_above_tolerable=chance,
        net_value={"expected": float(net.mean()), **{f"q{q * 100:g}": float(v) for q, v in zip(
            s.value_map, np.quantile(net, s.value_map), strict=True)},
                   "expected_gain": float(gain.mean()), "expected_loss": float(loss.mean())},
        value_map=_value_map(r, s), not_quantified=inputs.not_quantified, assumptions=notes)


OCCURRENCE_BITS = 16  # a drawn risk's chance a year is used to the nearest 1 / 2 ** 16 = 1 / 65,536
SPARSE_BELOW = 1 / 64  # risks rarer than this are drawn by the gaps between their occurrences (exact chance)


class _Simulation:
    """The register's risks as arrays, drawn chunk by chunk (each chunk from its own generator of the seed).

    Risks are taken in three blocks: certain (every year: no occurrence drawn, their sizes fill a risk x year block
    summed by rows per cell), common (one 16-bit random number per risk and year against the chance's threshold) and
    rare (geometric gaps between occurrence years, in chunks of their own ``RARE_SPAN`` times as many years, since
    they occur in fewer than one year in 64). Every occurrence gets one normal draw for its size; the sizes are summed
    per cell (category x objective) and year."""

    def __init__(self, r: pd.DataFrame, cells: _Cells, trials: int, seed: int, s: QuantificationSettings,
                 threads: int | None):
        self.n, self.cells = len(r), cells
        p = r["probability"].to_numpy(float)
        level = np.rint(np.clip(p, 0, 1) * (1 << OCCURRENCE_BITS))
        common = (p >= SPARSE_BELOW) & (level < 1 << OCCURRENCE_BITS)
        certain = (p >= 1) | ((p >= SPARSE_BELOW) & ~common)  # within 1 / 131,072 of 1: every year
        rare = (p > 0) & (p < SPARSE_BELOW)  # a chance of 0 never occurs: not drawn at all
        every_year = np.flatnonzero(certain)
        every_year = every_year[np.argsort(cells.code[every_year], kind="stable")]  # by cell: summed as rows
        self.order = np.concatenate([every_year, np.flatnonzero(common), np.flatnonzero(rare)])
        self.blocks = (int(certain.sum()), int(common.sum()), int(rare.sum()))
        # the certain risks' rows of each cell: where each cell's rows start, and which cell
        self.certain_starts = np.flatnonzero(np.diff(cells.code[every_year], prepend=-1) != 0)
        self.certain_cells = cells.code[every_year][self.certain_starts]
        self.threshold = level[common].astype(np.uint16)[:, None]  # a year occurs when its number is below
        self.log_q = np.log1p(-p[rare])  # log(1 - p): a gap of k years has chance (1 - p) ** (k - 1) p
        self.code = cells.code[self.order]
        self.sigma = r["sigma"].to_numpy(float)[self.order].astype(np.float32)
        self.median = median(r)[self.order]
        n_certain, n_common, n_rare = self.blocks
        # each block's place in ``order`` (and in code, sigma and median)
        self.certain = slice(0, n_certain)
        self.common = slice(n_certain, n_certain + n_common)
        self.rare = slice(n_certain + n_common, self.n)
        self.chunks = _spans(trials, s.chunk_cells // max(n_certain + n_common, 1))
        self.rare_chunks = _spans(trials, RARE_SPAN * s.chunk_cells // n_rare) if n_rare else []
        seeds = np.random.SeedSequence(seed).spawn(len(self.chunks) + len(self.rare_chunks))
        self.seeds, self.rare_seeds = seeds[:len(self.chunks)], seeds[len(self.chunks):]
        self.trials = trials
        self.threads = min(threads or s.threads or os.cpu_count() or 1, len(self.chunks) + len(self.rare_chunks))
        self._buffers = _Buffers()  # per thread, kept from the first pass to the second (the pool's threads)

    def __enter__(self) -> _Simulation:
        self.pool = ThreadPoolExecutor(self.threads)
        return self

    def __exit__(self, *_) -> None:
        self.pool.shutdown()

    def _occurrences(self, bits: np.random.BitGenerator, years: int) -> tuple[np.ndarray, np.ndarray]:
        """A chunk's occurrences of the common risks, grouped by risk: each one's cell x year key (a view of this
        thread's buffer) and the count per risk."""
        w = self._buffers
        n_certain, n_common, _ = self.blocks
        drawn = bits.random_raw(-(-n_common * years // 4)).view(np.uint16)[:n_common * years]
        occurs = w.get("occurs", n_common * years, bool).reshape(n_common, years)
        np.less(drawn.reshape(n_common, years), self.threshold, out=occurs)
        del drawn
        at = np.flatnonzero(occurs)  # risk-major: each risk's years together
        counts = np.diff(np.searchsorted(at, np.arange(n_common + 1) * years))
        key = w.get("key", len(at), np.int64)
        np.add(at, np.repeat((self.code[self.common] - np.arange(n_common)) * years, counts), out=key)
        return key, counts

    def _amounts(self, z: np.ndarray, block: slice, spread: Callable[[np.ndarray], np.ndarray],
                 out: np.ndarray | None = None) -> np.ndarray:
        """The sizes of a block's occurrences from their normal draws (``z``, changed in place): exp(sigma x z) x
        median, float64. ``spread`` takes the block's per-risk values to ``z``'s shape (``_per_row``, a repeat by
        each risk's count, or each draw's risk). The one arithmetic of a year's totals and of the tail's second
        pass, so that both get the same numbers."""
        z *= spread(self.sigma[block])
        np.exp(z, out=z)
        return np.multiply(z, spread(self.median[block]), out=out)

    def _totals(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Chunk i's sums per year of the certain and common risks: per category, per objective, and the
        opportunities' gains. The certain risks' sizes fill a risk x year block whose rows are summed per cell; the
        common risks' sizes are summed by their keys."""
        bits, years, c, w = np.random.SFC64(self.seeds[i]), self.chunks[i][1], self.cells, self._buffers
        n_certain = self.blocks[0]
        key, counts = self._occurrences(bits, years)
        size = _normals(bits, n_certain * years + len(key), w)
        every, size = size[:n_certain * years].reshape(n_certain, years), size[n_certain * years:]
        block = self._amounts(every, self.certain, _per_row,
                              out=w.get("block", every.size, np.float64).reshape(every.shape))
        amount = self._amounts(size, self.common, lambda a: np.repeat(a, counts),
                               out=w.get("amount", len(key), np.float64))
        sums = _sums(key, amount, c.count + 1, years)
        if n_certain:
            sums[self.certain_cells] += _row_sums(block, self.certain_starts)
        return c.total(sums[:-1], "category"), c.total(sums[:-1], "objective"), sums[-1]

    def _rare_totals(self, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rare chunk j's occurrences: each one's cell, year of the run and amount (few: added one by one)."""
        bits, (start, years) = np.random.SFC64(self.rare_seeds[j]), self.rare_chunks[j]
        risk, year = _gaps(bits, self.log_q, years)
        amount = self._amounts(_normals(bits, len(risk), self._buffers), self.rare, lambda a: a[risk])
        return self.code[self.rare][risk], year + start, amount

    def _tail(self, i: int, in_tail: np.ndarray) -> np.ndarray:
        """Chunk i's sum per certain and common risk over its years in the tail: the same draws again, the sizes
        only of the occurrences in those years (the same arithmetic on the same numbers as ``_totals``)."""
        (start, years), w = self.chunks[i], self._buffers
        n_certain, n_common, _ = self.blocks
        bits = np.random.SFC64(self.seeds[i])
        key, counts = self._occurrences(bits, years)
        chunk_tail = in_tail[start:start + years]
        tail_years = np.flatnonzero(chunk_tail)
        tail = w.get("tail", len(key), bool)  # a key is cell x years + year: the chunk's tail years once per cell
        np.take(np.tile(chunk_tail, self.cells.count + 1), key, out=tail)
        pick = np.flatnonzero(tail)
        risk = np.searchsorted(np.cumsum(counts), pick, side="right")  # occurrences are grouped by risk
        certain = (np.arange(n_certain)[:, None] * years + tail_years).ravel()
        size = _normals(bits, n_certain * years + len(key), w, np.concatenate([certain, pick + n_certain * years]))
        every, size = size[:len(certain)].reshape(n_certain, len(tail_years)), size[len(certain):]
        out = np.zeros(self.n)
        out[self.order[:n_certain + n_common]] = np.concatenate([
            self._amounts(every, self.certain, _per_row).sum(axis=1),
            np.bincount(risk, self._amounts(size, self.common, lambda a: a[risk]), minlength=n_common)])
        return out

    def _rare_tail(self, j: int, in_tail: np.ndarray) -> np.ndarray:
        """Rare chunk j's sum per rare risk over its years in the tail, as ``_tail``."""
        start, years = self.rare_chunks[j]
        bits = np.random.SFC64(self.rare_seeds[j])
        risk, year = _gaps(bits, self.log_q, years)
        pick = np.flatnonzero(in_tail[start + year])
        amount = self._amounts(_normals(bits, len(risk), self._buffers, pick), self.rare, lambda a: a[risk[pick]])
        out = np.zeros(self.n)
        out[self.order[self.rare]] = np.bincount(risk[pick], amount, minlength=len(self.log_q))
        return out

    def _map(self, fn, rare_fn, *args) -> list:
        tasks = [(fn, i) for i in range(len(self.chunks))] + [(rare_fn, j) for j in range(len(self.rare_chunks))]
        return list(self.pool.map(lambda task: task[0](task[1], *args), tasks))

    def run(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        parts = self._map(self._totals, self._rare_totals)
        main, rare = parts[:len(self.chunks)], parts[len(self.chunks):]
        out = tuple(np.concatenate([p[k] for p in main], axis=-1) for k in range(3))
        for cell, year, amount in rare:
            self.cells.add(out, cell, year, amount)
        return out

    def tail_losses(self, in_tail: np.ndarray) -> np.ndarray:
        """Each risk's mean amount in the tail years: the same chunks drawn again (same seeds), only summed there."""
        return np.sum(self._map(self._tail, self._rare_tail, in_tail), axis=0) / max(int(in_tail.sum()), 1)


def _per_row(values: np.ndarray) -> np.ndarray:
    """One value per risk as a column: it then applies to each risk's row of years."""
    return values[:, None]


RARE_SPAN = 16  # a rare chunk has 16 times a chunk's cells: its risks occur in fewer than 1 year in 64


def _spans(trials: int, per_chunk: int) -> list[tuple[int, int]]:
    """(first year, years) of each chunk of ``per_chunk`` years (at least one)."""
    per_chunk = max(1, per_chunk)
    return [(start, min(per_chunk, trials - start)) for start in range(0, trials, per_chunk)]


FEW_GROUPS = 64  # up to this many groups of rows are summed one by one (each a fast sum down its rows)


def _row_sums(rows: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The sums of consecutive groups of rows, each group starting at one of ``starts``. A few groups are summed one
    by one, down their rows (numpy adds whole rows); many with ``np.add.reduceat``, which adds a column at a time
    (8-10x slower an element when the rows are long)."""
    if len(starts) > FEW_GROUPS:
        return np.add.reduceat(rows, starts, axis=0)
    ends = [*starts[1:], len(rows)]
    return np.stack([rows[a:b].sum(axis=0) for a, b in zip(starts, ends, strict=True)])


def _sums(key: np.ndarray, amount: np.ndarray, cells: int, years: int) -> np.ndarray:
    """The amounts summed per cell x year key: cells x years (float even when there are none)."""
    return np.bincount(key, amount, minlength=cells * years).astype(np.float64, copy=False).reshape(cells, years)


class _Buffers(threading.local):
    """Each thread's arrays, kept from chunk to chunk: fresh memory for every chunk cost more in page faults than
    the arithmetic on it (bench/RESULTS.md)."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, n: int, dtype) -> np.ndarray:
        """n elements of ``name`` (their values are whatever was left there)."""
        have = self.arrays.get(name)
        if have is None or len(have) < n:
            have = self.arrays[name] = np.empty(n + n // 4 + 1024, dtype)
        return have[:n]


def _uniform(bits: np.random.BitGenerator, n: int) -> np.ndarray:
    """n uniforms in (0, 1] from 32 random bits each (float64: the smallest is 2 ** -33)."""
    u = bits.random_raw(-(-n // 2)).view(np.uint32)[:n].astype(np.float64)
    u += 0.5
    u *= 2.0 ** -32
    return u


def _gaps(bits: np.random.BitGenerator, log_q: np.ndarray, years: int) -> tuple[np.ndarray, np.ndarray]:
    """The rare risks' occurrences in ``years`` years: (risk, year) grouped by risk, years ascending. The gap from
    one occurrence to the next is geometric, floor(log(u) / log(1 - p)) + 1 years; each risk draws about as many
    gaps as its chance says (and a margin), and the few whose gaps do not yet pass the last year draw again."""
    risks, found_risk, found_year = np.arange(len(log_q)), [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    reached = np.full(len(log_q), -1, dtype=np.int64)  # the last occurrence year so far
    while len(risks):
        expect = (years - 1 - reached[risks]) * -np.expm1(log_q[risks])
        k = np.ceil(expect + 3 * np.sqrt(expect) + 3).astype(np.int64)
        gap = np.log(_uniform(bits, int(k.sum())))
        gap /= np.repeat(log_q[risks], k)
        np.floor(gap, out=gap)
        gap = np.minimum(gap, years).astype(np.int64) + 1  # years + 1 already passes the last year
        ends = np.cumsum(k)
        year = np.cumsum(gap)
        year += np.repeat(reached[risks] - np.r_[0, year[ends[:-1] - 1]], k)
        keep = year < years
        found_risk.append(np.repeat(risks, k)[keep])
        found_year.append(year[keep])
        reached[risks] = year[ends - 1]
        risks = risks[reached[risks] < years]
    risk, year = np.concatenate(found_risk), np.concatenate(found_year)
    if len(found_risk) > 2:  # more than one round: put each risk's years together again (in order: stable)
        order = np.argsort(risk, kind="stable")
        risk, year = risk[order], year[order]
    return risk, year


def _normals(bits: np.random.BitGenerator, n: int, w: _Buffers, at: np.ndarray | None = None) -> np.ndarray:
    """n standard normal draws (float32) by Box-Muller from 32-bit random numbers: a pair from two, u in (0, 1] and
    an angle, as sqrt(-2 log u) x (cos, sin) of the angle (the first half of the draws the cosines, the second the
    sines). The smallest u is 2 ** -33: draws reach 6.8 (a chance of 1 in 10 ** 11 of a normal beyond). With
    ``at``: only those of the n draws (the same numbers, the same random numbers used up)."""
    half = -(-n // 2)
    pair = bits.random_raw(half).view(np.uint32)
    if at is None:
        radius, angle = w.get("radius", half, np.float32), w.get("angle", half, np.float32)
        np.copyto(radius, pair[0::2], casting="unsafe")
        np.copyto(angle, pair[1::2], casting="unsafe")
    else:
        cosine = at < half
        which = np.where(cosine, at, at - half)
        radius, angle = pair[2 * which].astype(np.float32), pair[2 * which + 1].astype(np.float32)
    del pair
    radius += np.float32(0.5)
    radius *= np.float32(2.0 ** -32)
    np.log(radius, out=radius)
    radius *= np.float32(-2)
    np.sqrt(radius, out=radius)
    angle *= np.float32(2 * math.pi * 2.0 ** -32)
    if at is not None:
        return np.where(cosine, np.cos(angle), np.sin(angle)) * radius
    out = w.get("normal", 2 * half, np.float32)
    np.cos(angle, out=out[:half])
    out[:half] *= radius
    np.sin(angle, out=angle)
    np.multiply(angle, radius, out=out[half:])
    return out[:n]


def median(r: pd.DataFrame) -> np.ndarray:
    """Each risk's median impact, exp(mu) = sqrt(low x high); a fixed amount (low = high) exactly."""
    lo, hi = r["impact_low"].to_numpy(float), r["impact_high"].to_numpy(float)
    return np.where(lo == hi, lo, np.sqrt(lo * hi))


def exceedance(loss: np.ndarray, points: int, also: float | None = None, ordered: bool = False
               ) -> list[tuple[float, float]]:
    """About ``points`` (loss, chance of a year's loss above it) from the smallest to the largest loss, denser in
    the tail (the losses at chances spaced evenly on a log scale down to 1 / trials), with ``also`` among them.
    ``ordered``: the losses are sorted already."""
    ordered = loss if ordered else np.sort(loss)
    chances = np.geomspace(1, 1 / len(ordered), points)
    at = np.unique(np.r_[0.0, ordered[np.clip(np.ceil((1 - chances) * len(ordered)).astype(int), 0,
                                                 len(ordered) - 1)], [] if also is None else [also]])
    above = (len(ordered) - np.searchsorted(ordered, at, side="right")) / len(ordered)
    return list(zip(at.tolist(), above.tolist(), strict=True))


class _Cells:
    """The threats' (category, objective) pairs, numbered in order of category: each risk's cell (opportunities: one
    cell after them) and each cell's category and objective, so that sums per cell give sums per group."""

    def __init__(self, r: pd.DataFrame, threat: np.ndarray, categories: list[str], objectives: list[str]):
        cat, obj = (_positions(r[col], names) for col, names in (("category", categories), ("objective", objectives)))
        width = max(len(objectives), 1)
        used, cell = np.unique((cat * width + obj)[threat], return_inverse=True)
        self.count, self.code = len(used), np.full(len(r), len(used), dtype=np.int64)
        self.code[threat] = cell
        # per grouping: how many groups, the cells in order of their group, where each group starts among them
        # and which group that is
        self._by, self._group = {}, {}
        for name, group, groups in (("category", used // width, max(len(categories), 1)),
                                    ("objective", used % width, len(objectives))):
            order = np.argsort(group, kind="stable")
            starts = np.flatnonzero(np.diff(group[order], prepend=-1) != 0)
            self._by[name] = groups, order, starts, group[order][starts]
            self._group[name] = group

    def add(self, totals: tuple[np.ndarray, np.ndarray, np.ndarray], cell: np.ndarray, year: np.ndarray,
            amount: np.ndarray) -> None:
        """Occurrences (cell, year, amount) added into a run's sums per category, per objective and its gains."""
        by_category, by_objective, gain = totals
        threat = cell < self.count
        for name, out in (("category", by_category), ("objective", by_objective)):
            # one flat index (numpy's add.at is 2x faster on one axis); the run's sums are fresh C-ordered arrays
            # (np.concatenate), so the reshape is a view of them
            if len(out) and len(self._by[name][1]):
                flat = self._group[name][cell[threat]] * out.shape[1] + year[threat]
                np.add.at(out.reshape(-1), flat, amount[threat])
        np.add.at(gain, year[~threat], amount[~threat])

    def total(self, sums: np.ndarray, by: str) -> np.ndarray:
        """Cell x year sums -> group x year sums, ``by`` "category" or "objective" (none: nothing is summed)."""
        groups, order, starts, which = self._by[by]
        out = np.zeros((groups, sums.shape[1]))
        if groups and len(order):
            out[which] = _row_sums(sums[order], starts)
        return out


def _positions(values: pd.Series, names: list[str]) -> np.ndarray:
    """Each value's position among ``names`` (0 for all when there are no names)."""
    if not names:
        return np.zeros(len(values), dtype=np.int64)
    return pd.Series(range(len(names)), index=names).reindex(values).fillna(0).to_numpy(np.int64)


def _names(values: pd.Series, most: int, what: str) -> tuple[list[str], list[str]]:
    """The groups' names in order of appearance, or none and a note when there are more than ``most``."""
    found = list(dict.fromkeys(values))
    if len(found) <= most:
        return found, []
    one = "category" if what == "categories" else what[:-1]
    return [], [f"The {len(found):,} {what} are more than {most:,} (max_groups): no results per {one}."]


def _per_group(names: list[str], totals: np.ndarray, s: QuantificationSettings) -> dict[str, dict]:
    out = {}
    for name, row in zip(names, totals, strict=False):
        ordered = np.sort(row)
        q = dict(zip(s.confidence, np.quantile(ordered, s.confidence).tolist(), strict=True))
        out[name] = {"expected_loss": float(row.mean()), f"q{s.tail * 100:g}": q[s.tail], "quantiles": q,
                     "exceedance": exceedance(ordered, s.exceedance_points // 2, ordered=True)}
    return out


def _contributions(r: pd.DataFrame, tail: np.ndarray | None) -> pd.DataFrame:
    """Per threat: expected annual loss (chance x mean impact, exact), its share, volatility, and its mean loss in
    the tail years (these sum to the expected shortfall) with its share; largest first, the more volatile first."""
    expected = r["probability"] * median(r) * np.exp(r["sigma"] ** 2 / 2)
    out = pd.DataFrame({"risk_id": r["risk_id"], "category": r["category"], "objective": r["objective"],
                        "expected_loss": expected, "share": expected / expected.sum() if expected.sum() else 0.0,
                        "volatility": r["volatility"]})
    out["tail_loss"] = np.nan if tail is None else tail
    out["tail_share"] = out["tail_loss"] / out["tail_loss"].sum() if tail is not None and tail.sum() else np.nan
    return out.sort_values(["expected_loss", "volatility"], ascending=False, kind="stable").reset_index(drop=True)


def _value_map(r: pd.DataFrame, s: QuantificationSettings) -> pd.DataFrame:
    """Per risk its inputs and outcome range: its size given it occurs (lognormal quantiles) and a year's outcome
    (nothing in the years it does not occur: the quantile q is 0 when q <= 1 - p, else the size at (q - 1 + p) / p)."""
    normal = NormalDist()
    middle, sigma, p = median(r), r["sigma"].to_numpy(), r["probability"].to_numpy()
    out = r.drop(columns=["mu", "sigma"]).copy()
    out["expected"] = p * middle * np.exp(sigma ** 2 / 2)
    for q in s.value_map:
        out[f"impact_q{q * 100:g}"] = middle * np.exp(sigma * normal.inv_cdf(q))
    for q in s.value_map:
        level = (q - 1 + p) / np.where(p > 0, p, 1)
        z = np.array([normal.inv_cdf(x) if x > 0 else 0.0 for x in level])
        out[f"annual_q{q * 100:g}"] = np.where(level > 0, middle * np.exp(sigma * z), 0.0)
    return out


def _method_notes(s: QuantificationSettings, trials: int, seed: int) -> list[str]:
    return [f"{trials:,} simulated years, seed {seed} (the same seed, years and register give the same numbers).",
            "Each risk occurs at most once a year, independently of the others; a year's loss is the sum of the "
            "threats that occurred, its gain the sum of the opportunities.",
            "Each risk's expected loss is its chance x its mean impact (exact); the register's expected loss is the "
            "simulation's, so the two differ by the simulation's error only."]


def _groups_json(groups: dict[str, dict]) -> dict:
    return {name: {**g, "quantiles": {str(q): v for q, v in g["quantiles"].items()},
                   "exceedance": [{"loss": x, "probability": p} for x, p in g["exceedance"]]}
            for name, g in groups.items()}


def _plain(value: object) -> object:
    """JSON values only: numpy numbers as Python ones, NaN as None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
