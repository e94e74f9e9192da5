"""The risk assessment at each maturity status (the guide's Table 20; registers in Tables 21-23), as data.

A tier names the fields its register keeps and whether its risks are quantified. ``tier_for`` picks the tier of
a maturity status; ``missing_fields`` lists what a register lacks of its tier (shown, never an error).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pydantic import Field

from workbook_lib.core.datafiles import Strict, load_yaml
from workbook_lib.core.params import ParameterError

TIERS_FILE = Path(__file__).parent / "data" / "tiers.yaml"


class Tier(Strict):
    status: str = Field(min_length=1)  # the maturity status's name in the maturity matrix
    label: str = Field(min_length=1)
    register_table: str
    measurement: str
    aggregation: str
    fields: list[str] = Field(min_length=1)
    quantify: bool = False


class Tiers(Strict):
    source: str
    when_not_set: str
    tiers: list[Tier] = Field(min_length=1)

    def by_status(self, status: str) -> Tier | None:
        key = " ".join(status.split()).casefold()
        return next((t for t in self.tiers if t.status.casefold() == key or t.label.casefold() == key), None)


@cache
def tiers() -> Tiers:
    loaded = Tiers.model_validate(load_yaml(TIERS_FILE.read_text(encoding="utf-8")))
    if loaded.by_status(loaded.when_not_set) is None:
        raise ValueError(f"{TIERS_FILE.name}: when_not_set {loaded.when_not_set!r} is not one of the tiers")
    return loaded


def tier_for(status: str | None) -> tuple[Tier, bool]:
    """The tier of a maturity status, and whether the status was set (else the default tier)."""
    known = tiers()
    found = known.by_status(status) if status else None
    return (found, True) if found else (known.by_status(known.when_not_set), False)  # type: ignore[return-value]


def missing_fields(tier: Tier, present: set[str]) -> list[str]:
    """The tier's fields a register has no column for, in the tier's order."""
    return [f for f in tier.fields if f not in present]


@dataclass
class AppliedTier:
    """The tier a run applied: from which maturity status (None: not set), and what the register lacks of it."""

    tier: Tier
    status: str | None
    missing: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {"tier": self.tier.label, "maturity_status": self.status, "register_table": self.tier.register_table,
                "quantified": self.tier.quantify, "fields_missing": list(self.missing)}


def applied(status: str | None, present: set[str]) -> AppliedTier:
    """The tier for ``status`` with the register's missing fields; an unknown status raises ParameterError."""
    tier, known = tier_for(status)
    if status and not known:
        names = ", ".join(t.status for t in tiers().tiers)
        raise ParameterError(f"maturity status {status!r}: expected one of {names}")
    return AppliedTier(tier, tier.status if known else None, missing_fields(tier, present))
