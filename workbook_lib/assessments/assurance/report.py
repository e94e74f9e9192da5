"""What combined assurance reports: key figures, the JSON summary, the tables (views and the plan), the
Combined Assurance Plan's text and what the notebook says."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from workbook_lib.assessments.assurance.inputs import PlanSettings
from workbook_lib.assessments.assurance.model import WHOLE_RISK
from workbook_lib.assessments.assurance.scoring import CombinedAssurance
from workbook_lib.core.outputs import Md, md, md_list, notes_markdown, plain, value_words


# ---- figures, JSON -----------------------------------------------------------------------------------
def key_figures(result: CombinedAssurance) -> str:
    """One stable line of the figures a committee reads first (checked by the notebook tests)."""
    scoped = result.in_scope
    counts = scoped["coverage"].value_counts()
    levels = ", ".join(f"{lv.name} {int(counts.get(lv.name, 0))}" for lv in result.framework.framework.coverage)
    used = int((result.workload["controls_assured"] > 0).sum())
    mframe = result.map.frame
    events = float(result.workload["events_per_year"].sum())
    keys = result.key_controls[result.key_controls["in_scope"]]
    unassured = int((keys["coverage"] == result.framework.framework.coverage[-1].name).sum())
    rc = result.register_controls[result.register_controls["in_scope"]]
    line = (f"risks {len(result.risks)} | in scope {len(scoped)} | coverage: {levels} | gaps {len(result.gaps)} | "
            f"key controls in scope {len(keys)} (no assurance {unassured}; register only {int((~rc['in_map']).sum())},"
            f" map only {int((~rc['in_register']).sum())}) | duplicated controls {len(result.duplications)} | map rows "
            f"{len(mframe)} (not in register {len(result.not_in_register)}, no frequency "
            f"{int(((mframe['per_year'] == 0) & (mframe['provider'] != '')).sum())}, no provider "
            f"{int((mframe['provider'] == '').sum())}) | providers used {used} of {len(result.providers)} | "
            f"assurance events a year {events:,.0f}")
    if result.delivery is not None:
        for q in result.delivery.quarters:
            n = result.delivery.counts(q)
            line += (f" | {q}: expected {sum(n.values())}, delivered {n['delivered']}, not delivered "
                     f"{n['not delivered']}, no report {n['no report']}, planned {n['planned']}")
    return line


def summary(result: CombinedAssurance, organisation: str, period: str) -> dict[str, Any]:
    """The JSON contract of the combined-assurance analysis."""
    risks = [
        {"risk_id": r.risk_id, "residual_score": plain(r.residual_score), "residual_level": plain(r.residual_level),
         "above_appetite": plain(r.above_appetite), "in_scope": bool(r.in_scope),
         "lines": [int(x) for x in r.lines], "providers": list(r.providers), "coverage": r.coverage,
         "required_coverage": plain(r.required_coverage), "gap": bool(r.gap)}
        for r in result.risks.itertuples(index=False)
    ]
    duplications = [
        {"risk_id": d.risk_id, "control": d.control, "providers": list(d.duplicating),
         "frequencies": [f for p, f in zip(d.providers, d.frequencies, strict=True) if p in d.duplicating],
         "in_scope": bool(d.in_scope)}
        for d in result.duplications.itertuples(index=False)
    ]
    providers = [{"provider": w.provider, "line": int(w.line), "controls_assured": int(w.controls_assured)}
                 for w in result.workload.itertuples(index=False)]
    key_controls = [{"risk_id": k.risk_id, "control": k.control, "in_scope": bool(k.in_scope),
                     "providers": list(k.providers), "coverage": k.coverage, "below_required": bool(k.below_required)}
                    for k in result.key_controls.itertuples(index=False)]
    register_controls = [{"risk_id": r.risk_id, "control": r.control, "in_scope": bool(r.in_scope),
                          "in_register": bool(r.in_register), "in_map": bool(r.in_map)}
                         for r in result.register_controls.itertuples(index=False)]
    out = {"assessment": "combined-assurance", "organisation": organisation, "period": period,
           "risks": risks, "key_controls": key_controls, "register_controls": register_controls,
           "duplications": duplications, "providers": providers, "warnings": list(result.warnings)}
    d = result.delivery
    if d is not None:
        out["delivery"] = {
            "quarters": {q: d.counts(q) for q in d.quarters},
            "left_without": [{"quarter": r.quarter, "risk_id": r.risk_id, "not_delivered": int(r.not_delivered),
                              "not_reported": int(r.not_reported)} for r in d.left_without.itertuples(index=False)],
            "actions": [{"quarter": a.quarter, "risk_id": a.risk_id, "control": a.control, "status": a.status,
                         "corrective_action": a.corrective_action, "action_due": a.action_due or None,
                         "overdue": bool(a.overdue)}
                        for a in d.actions.itertuples(index=False)]}
    return out


# ---- tables -----------------------------------------------------------------------------------------
def _join(values: Iterable[Any]) -> str:
    """Values as one cell's text."""
    return ", ".join(str(v) for v in values)


def provider_names(result: CombinedAssurance) -> dict[str, str]:
    """Provider id -> the provider's name (the framework's and the organisation's own)."""
    return {p.id: p.name for p in result.providers}


def _names(result: CombinedAssurance, ids: Iterable[Any]) -> str:
    """Providers as one cell's text, by name."""
    names = provider_names(result)
    return _join(names.get(p, p) for p in ids)


def risks_view(result: CombinedAssurance) -> pd.DataFrame:
    """Every risk with its coverage, lists joined as text, providers by name."""
    view = result.risks.copy()
    view["lines"] = view["lines"].map(_join)
    view["providers"] = view["providers"].map(lambda ps: _names(result, ps))
    return view


def gaps_view(result: CombinedAssurance) -> pd.DataFrame:
    """The risks in scope with less coverage than required, and what would close the gap."""
    cols = ["risk_id", "residual_score", "residual_level", "above_appetite", "lines", "providers", "coverage",
            "required_coverage", "needed"]
    return risks_view(result).loc[result.risks["gap"].to_numpy(), [c for c in cols if c in result.risks]]


def duplications_view(result: CombinedAssurance) -> pd.DataFrame:
    """The duplicated controls with the providers at or above the threshold frequency."""
    d = result.duplications
    names = {p.id: p.name for p in result.providers}
    rows = [{"risk_id": r.risk_id, "control": r.control, "in_scope": r.in_scope,
             "providers at or above threshold": _join(f"{names.get(p, p)} ({f})" for p, f in
                                                      zip(r.providers, r.frequencies, strict=True)
                                                      if p in r.duplicating),
             "count": r.at_or_above_threshold, "threshold": f"more than {result.duplication_threshold} "
                                                            f"{_often(result)} or more often"}
            for r in d.itertuples(index=False)]
    return pd.DataFrame(rows, columns=["risk_id", "control", "in_scope", "providers at or above threshold",
                                       "count", "threshold"])


def _often(result: CombinedAssurance) -> str:
    """The duplication threshold's frequency in words ("quarterly")."""
    return result.framework.framework.frequency(result.duplication_frequency).name


def controls_view(result: CombinedAssurance) -> pd.DataFrame:
    """Every (risk, control) of the map, lists joined as text."""
    view = result.controls.copy()
    for col in ("frequencies", "lines"):
        view[col] = view[col].map(_join)
    for col in ("providers", "duplicating"):
        view[col] = view[col].map(lambda ps: _names(result, ps))
    return view


def key_controls_view(result: CombinedAssurance) -> pd.DataFrame:
    """Every key control of a register risk with its own coverage and whether it falls below its risk's need."""
    view = result.key_controls[[c for c in ("risk_id", "control", "in_scope", "providers", "lines", "coverage",
                                            "required_coverage", "below_required")]].copy()
    names = {p.id: p.name for p in result.providers}
    view["providers"] = view["providers"].map(lambda ps: _join(names.get(p, p) for p in ps) or "(none)")
    view["lines"] = view["lines"].map(_join)
    return view


def register_controls_view(result: CombinedAssurance, in_scope_only: bool = True) -> pd.DataFrame:
    """The register's controls and the map's key controls that only one of them names (risks in scope)."""
    rc = result.register_controls
    rows = rc[~(rc["in_register"] & rc["in_map"])]
    return (rows[rows["in_scope"]] if in_scope_only else rows).reset_index(drop=True)


def delivery_view(result: CombinedAssurance) -> pd.DataFrame:
    """Plan against delivery: every activity expected (or reported) in each quarter, with its status."""
    d = result.delivery
    if d is None:
        return pd.DataFrame()
    words = {f.code: f.name for f in result.framework.framework.frequencies}
    view = d.activities.copy()
    if "frequency" in view:  # each frequency in words, as the plan says it
        view["frequency"] = view["frequency"].map(lambda c: words.get(c, c) if isinstance(c, str) else c)
    return view


def left_without_view(result: CombinedAssurance) -> pd.DataFrame:
    """Per quarter, the risks left without the assurance planned."""
    d = result.delivery
    return d.left_without.copy() if d is not None else pd.DataFrame()


def actions_view(result: CombinedAssurance) -> pd.DataFrame:
    """Corrective actions due, the earliest first, and assurance not delivered without one."""
    d = result.delivery
    return d.actions.copy() if d is not None else pd.DataFrame()


def delivery_markdown(result: CombinedAssurance) -> Md:
    """The quarterly review's summary: each quarter's expected activities by status."""
    d = result.delivery
    if d is None:
        return md("No delivery against the plan is recorded yet (parameter `assurance_delivery`, or the form).")
    rows = Md("\n").join(md("| {} | {} | {} | {} | {} | {} |", q, sum(n.values()), n["delivered"],
                             n["not delivered"], n["no report"], n["planned"])
                         for q, n in ((q, d.counts(q)) for q in d.quarters))
    due = int((d.actions["action_due"] != "").sum())
    return md("Delivery recorded in {}. An activity at least {} is expected every quarter; a less frequent one "
              "in the quarters its records name.\n\n| Quarter | Expected | Delivered | Not delivered | No report | "
              "Planned |\n|---|---|---|---|---|---|\n{}\n\n{} risk-quarter(s) left without the assurance planned; "
              "{} corrective action(s) with a due date, {} overdue.", d.file,
              result.framework.framework.frequency(result.framework.framework.delivery.every_quarter).name, rows,
              len(d.left_without), due, int(d.actions["overdue"].sum()))


def workload_view(result: CombinedAssurance) -> pd.DataFrame:
    """Every provider's workload, the provider by name."""
    view = result.workload.copy()
    return view.assign(provider=view["name"]).drop(columns="name")


def map_view(result: CombinedAssurance) -> pd.DataFrame:
    """The validated map, each row marked in the register and in scope."""
    m = result.map.frame.copy()
    registered = set(result.risks["risk_id"])
    scoped = set(result.in_scope["risk_id"])
    m["in_register"] = m["risk_id"].isin(registered)
    m["in_scope"] = m["risk_id"].isin(scoped)
    if "provider_name" in m:  # the provider by name (a row without a provider keeps its empty cell)
        m = m.assign(provider=m["provider_name"].where(m["provider"] != "", m["provider"])).drop(
            columns="provider_name")
    return m


def plan_roles(result: CombinedAssurance) -> dict[str, str]:
    """The plan's role titles: the framework's, replaced by those the parameters give."""
    roles = result.framework.framework.plan_roles.model_dump()
    plan = result.plan
    if plan is not None:
        for key in roles:
            value = getattr(plan, key, None)
            if value:
                roles[key] = value
    return roles


def plan_table(result: CombinedAssurance) -> pd.DataFrame:
    """The plan's table: per risk in scope (highest residual first), each control, provider and frequency;
    risks without assurance and gaps carry the proposed addition."""
    columns = ["risk_id", "description", "residual", "control", "provider", "line", "frequency", "coverage",
               "required_coverage", "status"]
    names = {p.id: p.name for p in result.providers}
    scoped = result.in_scope.reset_index(drop=True)
    risk = pd.DataFrame({
        "risk_id": scoped["risk_id"], "_order": range(len(scoped)),
        "description": scoped["description"] if "description" in scoped else "",
        "residual": scoped["residual_level"].astype(str) + " (" + scoped["residual_score"].astype(str) + ")",
        "coverage": scoped["coverage"], "required_coverage": scoped["required_coverage"],
        "gap": scoped["gap"], "needed": scoped["needed"]})
    m = result.map.frame
    planned = risk.merge(m[["risk_id", "control", "provider", "line", "frequency", "frequency_name"]],
                         on="risk_id", how="inner")
    planned = planned.assign(
        _sub=0, control=planned["control"].map(lambda v: v or WHOLE_RISK),
        provider=planned["provider"].map(lambda v: names.get(v, v) or "(none)"),
        status=np.select([planned["frequency"] != "", planned["provider"] == ""],
                         ["planned", "key control without a provider"], "no activity agreed"),
        frequency=np.where(planned["frequency"] != "", planned["frequency_name"], "none listed"))
    mapped = risk["risk_id"].isin(set(m["risk_id"]))
    extra = risk[risk["gap"] | ~mapped]
    extra = extra.assign(
        _sub=1, control=np.where(extra["risk_id"].isin(set(m["risk_id"])), "(additional assurance)",
                                 "(to be agreed)"),
        provider="", line=None, frequency="",
        status=np.where(extra["gap"], "gap: " + extra["needed"], "no assurance mapped"))
    table = pd.concat([planned, extra], ignore_index=True).sort_values(["_order", "_sub"], kind="stable")
    table = table[columns].reset_index(drop=True)
    table["line"] = table["line"].astype("Int64")
    return table


def plan_sections(result: CombinedAssurance) -> list[tuple[str, str]]:
    """The Combined Assurance Plan's text (plain text), generated from the parameters and the analysis."""
    plan = result.plan or PlanSettings("the organisation", "the period")
    roles = plan_roles(result)
    fw = result.framework.framework
    scoped = result.in_scope
    as_of = f" as at {plan.as_of:%d %B %Y}" if plan.as_of else ""
    gaps, dups = len(result.gaps), len(result.duplications)
    lines_text = ", ".join(f"line {ln.line} ({ln.assurance.lower()})" for ln in fw.lines if ln.provides_assurance)
    coverage_text = "; ".join(f"{lv.name} ({lv.description.rstrip('.').lower()})" if lv.description else lv.name
                              for lv in fw.coverage)
    sections = [
        ("Introduction",
         f"This plan sets out how {plan.organisation} will obtain assurance over its key risks for {plan.period}. "
         f"It starts from the evaluated risk register{as_of}: {len(scoped)} of {len(result.risks)} risks fall "
         f"within its scope ({result.scope.label}). For each of them it names the key controls, the provider "
         f"that assures each control and how often, so that assurance effort follows the size of the exposure "
         f"and every key risk has someone answerable for confirming that its controls work."),
        ("Objectives",
         "The plan aims to:\n"
         "- name, for each key risk in scope, where its assurance comes from;\n"
         f"- give the risk committee, the {roles['accounting_officer']} and executive management a single view "
         f"of every assurance provider across the lines of assurance;\n"
         f"- tie risk management to assurance work, so the {roles['accounting_officer']} can judge whether "
         f"the risk management system is working;\n"
         "- show where assurance is missing or too thin (gaps) and where providers repeat one another's work "
         "(duplication)."),
        ("Approach",
         f"Providers are grouped by line: {lines_text}. Each row of the assurance map links a risk and one of "
         f"its controls to a provider and a frequency code. Coverage of a risk falls in one of "
         f"{len(fw.coverage)} levels: {coverage_text}. Coverage is judged per key control, and a risk takes the "
         f"coverage of its weakest key control. The coverage each risk should have follows its "
         f"{'residual level' if result.required.by == 'residual_level' else 'position against the appetite'} "
         f"({result.required.label}). A control is treated as duplicated when more than "
         f"{result.duplication_threshold} providers each assure it "
         f"{fw.frequency(result.duplication_frequency).name} or more often. On this basis the analysis finds "
         f"{gaps} risk(s) with less coverage than required and {dups} duplicated control(s). The plan was built "
         f"from the evaluated register and from what each provider has agreed to assure and when."),
        ("Roles and responsibilities",
         f"- {roles['plan_owner']}: keeps the plan current as the risk profile changes, coordinates the "
         f"providers, and takes up every gap with the {roles['accounting_officer']}.\n"
         f"- {roles['accounting_officer']}: decides finally which provider assures each risk, and confirms with "
         f"the external auditor before relying on its work.\n"
         f"- {roles['coordinator']} (internal audit): shares plans and results with the other providers, "
         f"checks their independence and competence before relying on their work, reports any provider that "
         f"does not deliver, follows up their recommendations, and carries the activities assigned to internal "
         f"audit into the internal audit plan.\n"
         f"- {roles['oversight_committee']}: adopts the plan, checks that it follows the risk assessment and "
         f"includes every high risk, compares quarterly reports of assurance actually given with the plan, and "
         f"reviews the corrective action taken where a risk is left without assurance.\n"
         "- Risk owners: choose the assurance activities for their own risks and keep the listed controls "
         "working."),
    ]
    if gaps:
        items = "\n".join(f"- {r.risk_id} ({r.residual_level}; coverage {r.coverage}, {r.required_coverage} "
                           f"required): {r.needed}"
                          for r in result.gaps.itertuples(index=False))
        sections.append(("Gaps to close", f"The following risks need more assurance than they receive:\n{items}"))
    d = result.delivery
    if d is not None and len(d.left_without):
        items = "\n".join(f"- {r.quarter} {r.risk_id}: {r.missed}" for r in d.left_without.itertuples(index=False))
        sections.append(("Assurance not delivered as planned",
                         f"Quarterly reports to the {roles['oversight_committee']} show these risks left without the "
                         f"assurance planned; each needs corrective action:\n{items}"))
    return sections


def plan_markdown(result: CombinedAssurance) -> Md:
    """The plan's heading and text as Markdown (the plan table follows it in the notebook): the plan's text is
    plain text (the Excel sheet has it too), each line escaped, its "- " lines a list."""
    plan = result.plan or PlanSettings("the organisation", "the period")
    parts = [md("## Combined Assurance Plan: {}, {}", plan.organisation, plan.period)]
    for heading, text in plan_sections(result):
        body = Md("\n").join(md("- {}", line[2:]) if line.startswith("- ") else md("{}", line)
                             for line in text.split("\n"))
        parts.append(md("### {}\n\n{}", heading, body))
    parts.append(md("### The plan\n\nEvery risk in scope, highest residual first: its key controls, who assures "
                    "each and how often. Rows marked *gap* are the additions the analysis proposes."))
    return Md("\n\n").join(parts)


def result_tables(result: CombinedAssurance) -> dict[str, pd.DataFrame]:
    """Every table of the Excel workbook, by sheet name, the method and provenance last."""
    fw = result.framework
    tables = {
        "Coverage by risk": risks_view(result),
        "Gaps": gaps_view(result),
        "Duplications": duplications_view(result),
        "Controls": controls_view(result),
        "Key controls": key_controls_view(result),
        "Register controls": register_controls_view(result, in_scope_only=False),
        "Provider workload": workload_view(result),
        "Assurance map": map_view(result),
        "Not in register": result.not_in_register,
        "In scope not mapped": result.not_mapped,
        "Assurance plan": plan_table(result),
        "Plan text": pd.DataFrame(plan_sections(result), columns=["section", "text"]),
        **({"Delivery": delivery_view(result), "Left without assurance": left_without_view(result),
            "Corrective actions": actions_view(result)} if result.delivery is not None else {}),
        "Warnings": pd.DataFrame({"warning": result.warnings}),
    }
    method = [("framework", fw.framework.name), ("framework version", fw.framework.version),
              ("framework sha256", fw.sha256), ("scope", result.scope.label),
              ("required coverage by", result.required.by_words), ("required coverage", result.required.label),
              ("duplication", f"more than {result.duplication_threshold} providers, each {_often(result)} or "
                              f"more often"),
              ("maturity status", (result.maturity_status or "").capitalize())]
    if result.evaluation is not None:
        ev = result.evaluation
        method += [("methodology", ev.methodology.methodology.name),
                   ("methodology version", ev.methodology.methodology.version),
                   ("methodology sha256", ev.methodology.sha256), ("banding", ev.banding),
                   ("as of", ev.as_of.isoformat())]
    method += [(f"not in {fw.framework.source_called}", item) for item in fw.framework.not_in_source]
    method += [(f"note: {n.topic}", n.decision) for n in fw.framework.notes]
    tables["Method"] = pd.DataFrame(method, columns=["item", "value"])
    return tables



# ---- what the notebook says ----------------------------------------------------------------------
def opening_narrative(result: CombinedAssurance, organisation: str, period: str) -> Md:
    """The report's opening: scope, coverage, gaps, duplication, maturity and warnings, as Markdown."""
    fw = result.framework.framework
    scoped = result.in_scope
    counts = scoped["coverage"].value_counts()
    spread = Md(", ").join(md("**{}** {}", int(counts.get(lv.name, 0)), lv.name) for lv in fw.coverage)
    lines = [
        md("## {}: combined assurance, {}", organisation, period),
        md("The register holds **{} risks**; **{}** are in scope ({}). Their assurance coverage: {}.",
           len(result.risks), len(scoped), result.scope.label, spread),
    ]
    gaps = result.gaps
    if len(gaps):
        lines.append(md("**{} risk(s) have less coverage than they need**: {}.", len(gaps), Md("; ").join(
            md("{} ({}, {} against {} required)", r.risk_id, r.residual_level, r.coverage, r.required_coverage)
            for r in gaps.itertuples(index=False))))
    else:
        lines.append(md("Every risk in scope has at least the coverage it needs."))
    keys = result.key_controls[result.key_controls["in_scope"]]
    weak = keys[keys["below_required"]]
    lines.append(md("Coverage is judged per key control: the **{}** key controls of risks in scope include **{}** "
                    "below what their risk needs; a risk takes its weakest key control's coverage.", len(keys),
                    len(weak)))
    d = result.delivery
    if d is not None:
        for q in d.quarters:
            n = d.counts(q)
            lines.append(md("**{}** against the plan: {} of {} expected activities delivered, {} not delivered, {} "
                            "not reported.", q, n["delivered"], sum(n.values()), n["not delivered"], n["no report"]))
    if len(result.duplications):
        often = result.framework.framework.frequency(result.duplication_frequency).name
        listed = Md(", ").join(md("{} / {}", d.risk_id, d.control) for d in result.duplications.itertuples(index=False))
        lines.append(md("**{} control(s)** are assured by more than {} providers, each {} or more often: {}.",
                        len(result.duplications), result.duplication_threshold, often, listed))
    if result.maturity_status:
        lines.append(md("Maturity status: *{}*.", result.maturity_status.capitalize()))
    if result.warnings:
        lines.append(md("**Warnings**\n\n") + md_list(result.warnings))
    return Md("\n\n").join(lines)


def method_note(result: CombinedAssurance) -> Md:
    """The method and provenance section: framework, rules, coverage levels, providers, decisions."""
    lf = result.framework
    fw = lf.framework
    freq = Md(", ").join(md("{} {} ({:g} a year)", f.code, f.name, f.per_year) for f in fw.frequencies)
    cov = Md("\n").join(md("| {} | {}{} |", lv.name, lv.description, "" if lv.target else " Never required of a risk.")
                        for lv in fw.coverage)
    source = value_words().get("source", {})
    providers = Md("\n").join(md("| {} | {} | {} | {} |", p.line, p.name, "Yes" if p.independent else "No",
                                 source.get(p.source, p.source))
                              for p in sorted(result.providers, key=lambda p: p.line))
    notes = notes_markdown(fw.notes)
    added = md("**Not in {}; set by {}:** {}.\n\n", fw.source_called, fw.added_by, Md("; ").join(
        md("{}", item) for item in fw.not_in_source)) if fw.not_in_source else md("")
    return md("## Method and provenance\n"
              "Framework **{name}**, version {version}, SHA-256 `{sha}`.\n\n"
              "Scope: {scope}. Required coverage follows {by}: {required}. Duplication: more than {threshold} "
              "providers, each {frequency} or more often. Frequency codes: {freq}; blank means none.\n\n"
              "| Coverage | Rule |\n|---|---|\n{cov}\n\n"
              "| Line | Provider | Independent | Defined in |\n|---|---|---|---|\n{providers}\n\n"
              "{added}**Decisions recorded in the framework file** (where the guide is silent or leaves the choice to "
              "the organisation):\n\n{notes}", name=fw.title, version=fw.version, sha=lf.sha256,
              scope=result.scope.label, by=result.required.by_words, required=result.required.label,
              threshold=result.duplication_threshold, frequency=_often(result), freq=freq, cov=cov,
              providers=providers, added=added, notes=notes)
