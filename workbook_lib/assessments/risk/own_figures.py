"""A register's own scores and levels against the computed ones under a methodology: every difference, with the
arithmetic. A register's own level words (Alto, Moyen) are read through the organisation's ``level_words:``, and
the first difference an unknown word makes proposes that entry."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from workbook_lib.assessments.risk.methodology import Methodology
from workbook_lib.assessments.risk.ratings import flow_text, rating_word
from workbook_lib.core.errors import quote

if TYPE_CHECKING:
    import pandas as pd

DIFFERENCES = ["Risk", "Row", "Your column", "The file says", "Computed", "Arithmetic"]


def band_words(m: Methodology, banding: str | None = None,
               level_words: dict[str, str] | None = None) -> dict[str, str]:
    """A register's level word (as ``rating_word`` compares it) -> band name: each band's name and aliases, then
    the organisation's ``level_words:`` that name a band."""
    names = {rating_word(w): b.name for b in m.banding(banding).bands for w in (b.name, *b.aliases)}
    own = {rating_word(w): names[rating_word(t)] for w, t in (level_words or {}).items() if rating_word(t) in names}
    return {**names, **own}


def level_words_entry(seen: dict[str, Counter[str]], bands: list[str]) -> str:
    """The ``level_words:`` entry for a register's own words: each word -> the band most of its risks are
    computed in (word as written -> computed band -> risks); the highest band first, then in the file's order."""
    chosen = {word: counts.most_common(1)[0][0] for word, counts in seen.items()}
    rank = {name: i for i, name in enumerate(bands)}
    ordered = sorted(chosen.items(), key=lambda kv: -rank.get(kv[1], -1))
    return "level_words: {" + ", ".join(f"{flow_text(w)}: {flow_text(b)}" for w, b in ordered) + "}"


def own_figures(risks: pd.DataFrame, m: Methodology, banding: str | None, headings: dict[str, str],
                level_words: dict[str, str] | None = None) -> pd.DataFrame:
    """Every risk whose own score or level in the file differs from the computed one, with the arithmetic.
    A level is compared by band name, alias or the organisation's ``level_words``; the first difference an
    unknown level word makes proposes the ``level_words:`` entry for every unknown word."""
    import pandas as pd  # lazy: `workbook methodology check` does not need it

    bands = [b.name for b in m.banding(banding).bands]
    names = band_words(m, banding, level_words)
    no_band = {rating_word(w): t for w, t in (level_words or {}).items() if rating_word(t) not in names}
    rows: list[tuple] = []
    unknown: dict[str, Counter[str]] = {}  # a word that names no band -> the computed bands of its risks
    first = -1  # the row of the first difference an unknown word makes
    for stage in ("inherent", "residual"):
        for kind in ("score", "level"):
            column = f"stated_{stage}_{kind}"
            if column not in risks:
                continue
            computed = risks[f"{stage}_{kind}"]
            for i in risks.index[(risks[column].fillna("") != "") & risks["rated"]]:
                said, got = str(risks.at[i, column]).strip(), computed.at[i]
                if kind == "score":
                    same = said.replace(".0", "", 1) == str(got)
                else:
                    word = rating_word(said)
                    same = names.get(word) == got
                    if word not in names:
                        unknown.setdefault(said, Counter())[str(got)] += 1
                        first = len(rows) if first < 0 else first
                        given = (f"; your level words in the parameters give it as {quote(no_band[word])}"
                                 if word in no_band else "")
                        got = f"{got} ({quote(said)} is not a band of {m.name}: {', '.join(bands)}{given})"
                if not same:
                    rows.append((risks.at[i, "risk_id"], int(risks.at[i, "row"]), headings.get(column, column), said,
                                 str(got), risks.at[i, "arithmetic"]))
    if first >= 0:
        entry = level_words_entry(unknown, bands)
        rows[first] = (*rows[first][:4], f"{rows[first][4]}; say what your level words mean in the parameters, "
                       f"e.g. {entry}", rows[first][5])
    return pd.DataFrame(rows, columns=DIFFERENCES)
