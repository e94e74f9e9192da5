"""The COSO questionnaire as data: components, principles, items, the rating scale, the lines of assurance,
the combined bands, the divergence threshold and the rule that judges each principle from its ratings, under
the name the questionnaire gives it (the suite makes no COSO deficiency evaluation).

A questionnaire is a YAML file validated with pydantic; a shipped one is named by its stem, an
organisation's own by its path.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator

from workbook_lib.core.datafiles import (
    COLOUR,
    ColouredBand,
    Loaded,
    Note,
    Strict,
    band_problems,
    normalise_label,
    shipped_files,
    unique_names,
)
from workbook_lib.core.tables import header_key

ASSESSMENT = "coso-assessment"
SHIPPED_DIR = Path(__file__).parent / "data"
SHIPPED_PATTERN = "coso-*.yaml"
DEFAULT_QUESTIONNAIRE = "coso-17-western-cape"
MATURITY_STATUSES = ("fragmented", "integrated", "risk intelligent")

# principle statuses as keys (the overall picture counts principles in each; components get principles_<key>);
# a principle shows the rule's own words for MET and NOT_MET (PresentRule.met, .not_met)
MET = "met"
NOT_MET = "not met"
INCOMPLETE = "incomplete"
NOT_ASSESSED = "not assessed"
STATUSES = (MET, NOT_MET, INCOMPLETE, NOT_ASSESSED)
NO_SINGLE_LINE = "no single line stands apart"

# spellings of a line number accepted in responses (besides the line's name and aliases)
_ORDINALS = {1: ("1", "1st", "first", "one"), 2: ("2", "2nd", "second", "two"), 3: ("3", "3rd", "third", "three"),
             4: ("4", "4th", "fourth", "four"), 5: ("5", "5th", "fifth", "five")}


class QuestionnaireError(ValueError):
    """A questionnaire file is missing, unreadable or inconsistent."""


def normalise_maturity(value: str | None) -> str | None:
    """'Risk-Intelligent' -> 'risk intelligent'; None for anything that is not a known status."""
    if value is None:
        return None
    key = " ".join(str(value).replace("-", " ").replace("_", " ").split()).casefold()
    return key if key in MATURITY_STATUSES else None


# ---- the questionnaire as data ---------------------------------------------------------------------


class ScaleLevel(Strict):
    value: int = Field(ge=1)
    label: str = Field(min_length=1)
    description: str = ""
    colour: str = Field(default="#bdbdbd", pattern=COLOUR)


class AssuranceLine(Strict):
    line: int = Field(ge=1)
    name: str = Field(min_length=1)
    short: str = ""
    role: str = ""
    key_question: str = Field(min_length=1)
    aliases: list[str] = []
    colour: str = Field(default="#555555", pattern=COLOUR)

    @property
    def label(self) -> str:
        return self.short or self.name


class CombinedBand(ColouredBand):
    meaning: str = ""


class Combined(Strict):
    rule: str = "sum of the lines' ratings"
    red_band: str = Field(min_length=1, description="the band whose items count as red (management can improve)")
    bands: list[CombinedBand] = Field(min_length=1)


class Divergence(Strict):
    threshold: int = Field(default=2, ge=1, description="spread of the lines' ratings that flags an item")


class PresentRule(Strict):
    """When a principle's ratings meet the rule, and what a principle that meets it (or not) is called."""

    met: str = Field(default="meets the questionnaire's rule", min_length=1)
    not_met: str = Field(default="short of the questionnaire's rule", min_length=1)
    require_all_complete: bool = True
    max_red_items: int = Field(default=0, ge=0)
    min_mean_combined: float
    description: str = ""


class Applicability(Strict):
    suitable: list[str] = []
    not_suitable: list[str] = []
    warning: str = Field(min_length=1)

    @field_validator("suitable", "not_suitable")
    @classmethod
    def _known(cls, values: list[str]) -> list[str]:
        out = []
        for v in values:
            key = normalise_maturity(v)
            if key is None:
                raise ValueError(f"maturity status {v!r} is not one of {', '.join(MATURITY_STATUSES)}")
            out.append(key)
        return out


class Component(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    name: str = Field(min_length=1)


class Principle(Strict):
    number: int = Field(ge=1)
    component: str
    name: str = Field(min_length=1)


class Item(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    principle: int
    text: str = Field(min_length=1)
    seed_ref: str = ""


class Questionnaire(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    version: str
    title: str
    source: str = ""
    applicability: Applicability | None = None
    scale: list[ScaleLevel] = Field(min_length=2)
    lines: list[AssuranceLine] = Field(min_length=2)
    combined: Combined
    divergence: Divergence = Divergence()
    present_and_functioning: PresentRule
    components: list[Component] = Field(min_length=1)
    principles: list[Principle] = Field(min_length=1)
    items: list[Item] = Field(min_length=1)
    notes: list[Note] = []

    @field_validator("scale")
    @classmethod
    def _scale_contiguous(cls, levels: list[ScaleLevel]) -> list[ScaleLevel]:
        values = [lv.value for lv in levels]
        if values != list(range(1, len(values) + 1)):
            raise ValueError(f"scale values must be 1..{len(values)} in order, got {values}")
        unique_names([lv.label for lv in levels], "scale label")
        return levels

    @field_validator("lines")
    @classmethod
    def _lines_contiguous(cls, lines: list[AssuranceLine]) -> list[AssuranceLine]:
        numbers = [ln.line for ln in lines]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"lines must be numbered 1..{len(numbers)} in order, got {numbers}")
        unique_names([a for ln in lines for a in (ln.name, *ln.aliases)], "line name or alias")
        return lines

    @model_validator(mode="after")
    def _consistent(self) -> Questionnaire:
        unique_names([c.id for c in self.components], "component id")
        unique_names([c.name for c in self.components], "component name")
        components = {c.id for c in self.components}
        numbers = [p.number for p in self.principles]
        dupes = sorted({n for n in numbers if numbers.count(n) > 1})
        if dupes:
            raise ValueError(f"principle number(s) {dupes} listed more than once")
        for p in self.principles:
            if p.component not in components:
                raise ValueError(f"principle {p.number}: component {p.component!r} is not one of "
                                 f"{sorted(components)}")
        empty = [c.id for c in self.components if not any(p.component == c.id for p in self.principles)]
        if empty:
            raise ValueError(f"component(s) {empty} have no principle")
        unique_names([i.id for i in self.items], "item id")
        known = set(numbers)
        for item in self.items:
            if item.principle not in known:
                raise ValueError(f"item {item.id!r}: principle {item.principle} is not listed under principles")
        bands = self.combined.bands
        unique_names([b.name for b in bands], "band name")
        if self.combined.red_band not in {b.name for b in bands}:
            raise ValueError(f"combined.red_band {self.combined.red_band!r} is not one of the band names "
                             f"{[b.name for b in bands]}")
        rule = self.present_and_functioning
        unique_names([INCOMPLETE, NOT_ASSESSED, rule.met, rule.not_met], "present_and_functioning: principle status")
        problems = band_problems(bands, self.reachable_scores)
        if problems:
            raise ValueError("combined bands: " + "; ".join(problems))
        return self

    # ---- derived facts ----------------------------------------------------------------------------
    @property
    def max_rating(self) -> int:
        return len(self.scale)

    @property
    def line_numbers(self) -> list[int]:
        return [ln.line for ln in self.lines]

    @property
    def reachable_scores(self) -> list[int]:
        n = len(self.lines)
        return list(range(n, n * self.max_rating + 1))

    def band_for(self, score: float) -> CombinedBand:
        """The band a combined score (or a mean of scores) falls in: the highest band starting at or below it."""
        ordered = sorted(self.combined.bands, key=lambda b: b.min)
        chosen = ordered[0]
        for band in ordered:
            if score >= band.min:
                chosen = band
        return chosen

    @property
    def status_names(self) -> dict[str, str]:
        """Status key -> the words shown for it."""
        rule = self.present_and_functioning
        return {MET: rule.met, NOT_MET: rule.not_met, INCOMPLETE: INCOMPLETE, NOT_ASSESSED: NOT_ASSESSED}

    def line(self, number: int) -> AssuranceLine:
        return self.lines[number - 1]

    def principle(self, number: int) -> Principle:
        return next(p for p in self.principles if p.number == number)

    def component(self, cid: str) -> Component:
        return next(c for c in self.components if c.id == cid)

    def line_lookup(self) -> dict[str, int]:
        """Accepted spellings of a line (number, ordinal, name, aliases), compared as header keys."""
        lookup: dict[str, int] = {}
        for ln in self.lines:
            for key in (*_ORDINALS.get(ln.line, (str(ln.line),)), ln.name, ln.short, *ln.aliases):
                if key:
                    lookup[header_key(key)] = ln.line
        return lookup

    def rating_lookup(self) -> dict[str, int]:
        """Scale labels accepted in place of the number."""
        return {normalise_label(lv.label): lv.value for lv in self.scale}

    def item_lookup(self) -> dict[str, str]:
        return {header_key(i.id): i.id for i in self.items}


class LoadedQuestionnaire(Loaded):
    """A questionnaire with the provenance every output records."""

    questionnaire: Questionnaire


def shipped() -> dict[str, Path]:
    """Shipped questionnaire names -> files."""
    return shipped_files(SHIPPED_DIR, SHIPPED_PATTERN)


def load_questionnaire(name_or_path: str | Path = DEFAULT_QUESTIONNAIRE,
                       base_dir: Path | None = None) -> LoadedQuestionnaire:
    """Load a shipped questionnaire by name, or an organisation's own YAML file by path."""
    return LoadedQuestionnaire.load(name_or_path, shipped(), QuestionnaireError, "questionnaire", base_dir)

