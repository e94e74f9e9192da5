"""The COSO assessment's part of the committee pack: the principles rated in place and working, those short of it,
the items by band and by component, from the JSON summary (the rule's words and band colours from the
questionnaire)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from workbook_lib.assessments.coso.model import Questionnaire, load_questionnaire, shipped
from workbook_lib.core.pack import PackImage, PackSection, PackTable, bar_chart, counted, listed_words, provenance_lines

MET, NOT_MET = "rated in place and working on average", "rated short of in place and working"
NOT_JUDGED = "not judged yet: ratings are missing"


def _questionnaire(summary: dict[str, Any]) -> Questionnaire | None:
    name = str((summary.get("questionnaire") or {}).get("name") or "")
    if name not in shipped():
        return None
    try:
        return load_questionnaire(name).questionnaire
    except Exception:  # one that no longer loads: the pack keeps its own words
        return None


def pack_section(summary: dict[str, Any], out_dir: Path) -> PackSection:
    q = _questionnaire(summary)
    met, not_met = (q.present_and_functioning.met, q.present_and_functioning.not_met) if q else (MET, NOT_MET)
    section = PackSection("COSO control assessment", provenance=provenance_lines(summary))
    principles = summary.get("principles") or []
    assessed = [p for p in principles if p.get("assessed")]
    good = [p for p in assessed if p.get("present_and_functioning") is True]
    short = [p for p in assessed if p.get("present_and_functioning") is False]
    open_ = [p for p in assessed if p.get("present_and_functioning") is None]
    items = summary.get("items") or []
    section.paragraphs.append(
        f"Of the {len(principles)} principles, {len(assessed)} were assessed by the three lines of assurance: "
        f"{len(good)} {met}, {len(short)} {not_met} and {len(open_)} not judged yet because ratings are missing.")
    section.key_figures.append(f"COSO control assessment: {len(good)} of {len(assessed)} principles assessed are "
                               f"{met}; {len(short)} {'is' if len(short) == 1 else 'are'} short of it.")
    divergent = sum(i.get("divergent") is True for i in items)
    if divergent:
        section.paragraphs.append(f"The three lines disagree by more than the questionnaire allows on "
                                  f"{counted(divergent, 'item')} of {len(items)}.")
    if short or open_:
        frame = pd.DataFrame([{"Principle": f"{p.get('principle')}. {p.get('name')}", "Component": p.get("component"),
                               "Average combined score": p.get("mean_combined"),
                               "Result": not_met if p.get("present_and_functioning") is False else NOT_JUDGED}
                              for p in short + open_])
        section.tables.append(PackTable(f"Principles not {met}", frame))
    components: dict[str, list[dict[str, Any]]] = {}
    for p in assessed:
        components.setdefault(str(p.get("component")), []).append(p)
    if components:
        section.tables.append(PackTable("By component", pd.DataFrame([{
            "Component": c, "Principles assessed": len(ps),
            f"Principles {met}": sum(p.get("present_and_functioning") is True for p in ps)}
            for c, ps in components.items()])))
    bands = Counter(i.get("band") for i in items if i.get("band"))
    if bands:
        order = [b.name for b in q.combined.bands] if q else sorted(bands)
        colours = {b.name: b.colour for b in q.combined.bands} if q else None
        rows = [{"Band": b, "Items": bands[b]} for b in order if bands.get(b)]
        unrated = sum(1 for i in items if not i.get("band"))
        section.images.append(PackImage(
            "Items by the band of their combined score (the three lines' ratings added)"
            + (f"; {counted(unrated, 'item')} without every rating {'is' if unrated == 1 else 'are'} not banded."
               if unrated else "."),
            bar_chart(rows, "Band", "Items", "Items by band of the combined score", colour="Band" if colours else "",
                      colours={b: c for b, c in (colours or {}).items() if bands.get(b)} or None, sort=order)))
    not_assessed = [f"{p.get('principle')} ({p.get('name')})" for p in principles if not p.get("assessed")]
    if not_assessed:
        them = "it" if len(not_assessed) == 1 else "them"
        section.paragraphs.append(f"Not assessed, as the questionnaire has no items for {them}: "
                                  f"principle {listed_words(not_assessed)}.")
    incomplete = sum(i.get("complete") is False for i in items)
    if incomplete:
        section.paragraphs.append(f"{counted(incomplete, 'item').capitalize()} of {len(items)} still "
                                  f"{'misses' if incomplete == 1 else 'miss'} a rating from one of the lines.")
    return section
