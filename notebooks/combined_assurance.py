# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Combined assurance
#
# This workbook sets the organisation's **assurance map** (which provider checks which key control of
# which risk, and how often) against its **evaluated risk register**. For every key control of a risk in
# scope it shows which lines of assurance cover it and classes that coverage as *extensive*, *moderate*,
# *inadequate* or *none*; a risk takes its weakest key control's coverage, which is compared with the
# coverage the risk's residual level calls for, and the **gaps** are listed. It checks the register's
# controls against the map both ways, finds controls that too many providers check (**duplication**),
# shows each provider's **workload**, drafts a **Combined Assurance Plan** that can be exported to Excel,
# and sets each quarter's **delivery** against the plan.
#
# The assurance map records, for each key control, which assurance providers check it and how often; the
# results follow from it and from the risk register, and end with the method used and the files they are
# based on.

# %% tags=["parameters"]
organisation = "Karoo Vale Local Municipality"
period = "2025-26"
as_of = "2025-11-30"
methodology = "western-cape-5x5"
register = "registers/karoo_vale_municipality_2025.csv"
sheet = None
banding = None
appetite = {"default": "Low", "categories": {"Financial": 4, "Compliance": 4}}
partner_roles = []
assurance_map = "assurance/karoo_vale_assurance_map_2025.csv"
map_sheet = None
assurance_delivery = "assurance/karoo_vale_assurance_delivery_2025.csv"  # assurance delivered per quarter
delivery_sheet = None
framework = "combined-assurance"
providers = [{"id": "occupational_health_safety", "name": "Occupational health and safety", "line": 2,
              "independent": False}]
scope_min_residual = None
required_by = "residual_level"
required_coverage = None
duplication_threshold = None
duplication_frequency = None
maturity_status = "integrated"
marks = None  # maturity marks, CSV/XLSX: when maturity_status is None the status is scored from them
plan_owner = "Chief Risk Officer (combined assurance champion)"
accounting_officer = "Municipal Manager"
oversight_committee = "Audit and Performance Audit Committee"
# how the register is read and rated, as for risk-evaluation (docs/registers.md)
tolerance = None
control_factors = {}
appetite_approved_by = None
appetite_approved_on = None
report_rows = 500
columns = {}
ratings = {}
impact_money = None
response_words = {}
status_words = {}
header_row = None
skip_rows = []
keep_rows = []
rounding = None
date_order = None
level_words = {}
tolerable_loss = None  # risk intelligent: a tolerable level of annual loss, in money, e.g. 2500000
simulation_trials = None  # simulated years for the loss curve; None: 100,000
simulation_seed = None  # the random seed, so the figures can be reproduced; None: the suite's
earlier = []
renamed_ids = {}
source = "file"  # or "store": read the register and the assurance entries saved through the web forms
store_url = None
show_form = False
output_dir = None
parameters_dir = None

# %%
import workbook_lib

nb = workbook_lib.start("combined-assurance", globals())  # checks the parameters, then form or report
params, sections = nb.params, nb.sections

from workbook_lib.assessments.assurance import charts, report  # noqa: E402
from workbook_lib.core.outputs import html_table, section  # noqa: E402

# %%
sections.show(lambda result: report.opening_narrative(result, result.plan.organisation,
                                                      result.plan.period))

# %%
# NBVAL_CHECK_OUTPUT
sections.key_figures(report.key_figures)

# %% [markdown]
# ## The assurance map
# One row per risk (in scope, or named in the map; highest residual first), one column per provider,
# grouped by line of assurance. A cell gives the frequency code of each activity the provider carries
# out on the risk's controls, the most frequent first and shaded by it; `-` marks a provider named
# without any agreed activity. Rows marked GAP have less coverage than they need.

# %%
sections.show(charts.assurance_grid)

# %% [markdown]
# ## Coverage against residual level
# The matrix counts the risks in scope by residual level and coverage; a red border marks cells that
# hold gaps. Below it, each risk's coverage found (dot) is set against the coverage it requires (ring);
# a red line is the distance still to cover.

# %%
sections.show(charts.coverage_matrix)

# %%
sections.show(charts.coverage_by_risk)

# %% [markdown]
# ## Gaps
# Risks in scope whose coverage falls short of the level required, with what would close the gap.

# %%
sections.show(lambda result: section("gaps", html_table(
    report.gaps_view(result), empty="Every risk in scope has the coverage it needs.")))

# %% [markdown]
# ## Duplication
# Controls checked by more providers, at or above the threshold frequency, than the framework allows.
# Each of these is a candidate for relying on one provider's work instead of repeating it.

# %%
sections.show(lambda result: section("duplication", html_table(
    report.duplications_view(result), empty="No control is duplicated.")))

# %% [markdown]
# ## Provider workload
# Controls each provider assures, the risks they touch and the assurance events a year their
# frequencies add up to.

# %%
sections.show(charts.workload)

# %%
sections.show(lambda result: section("workload", html_table(report.workload_view(result))))

# %% [markdown]
# ## Reconciliation
# Nothing is dropped silently: map rows that name a risk the register does not hold, and risks in
# scope that the map does not mention at all.

# %%
sections.show(lambda result: html_table(result.not_in_register,
                                                empty="Every risk in the map is in the register."))
sections.show(lambda result: html_table(result.not_mapped, empty="Every risk in scope appears in the map."))

# %% [markdown]
# ## Key controls
# Each key control the map names, with its own coverage; a risk's coverage is its weakest key control's.
# A key control recorded without a provider has none. Below: the register's controls that the map does
# not name (no assurance recorded) and the map's key controls that the register does not name, for the
# risks in scope.

# %%
sections.show(lambda result: section("key-controls", html_table(
    report.key_controls_view(result), empty="The map names no key control.")))
sections.show(lambda result: section("register-controls", html_table(
    report.register_controls_view(result), empty="The register's controls and the map's key controls agree.")))

# %% [markdown]
# ## Plan against delivery
# What each provider delivered per quarter against the plan, as the audit committee reviews it: every
# activity expected in a quarter and its status, the risks left without the assurance planned, and the
# corrective actions due (the earliest first; overdue at the as-of date marked).

# %%
sections.show(report.delivery_markdown)
sections.show(lambda result: section("delivery", html_table(
    report.delivery_view(result), empty="No delivery recorded.")))
sections.show(lambda result: section("left-without", html_table(
    report.left_without_view(result), empty="No risk was left without the assurance planned.")))
sections.show(lambda result: section("actions", html_table(
    report.actions_view(result), empty="No corrective action is due.")))

# %%
sections.show(report.plan_markdown)
sections.show(lambda result: section("plan", html_table(report.plan_table(result),
                                                        empty="No risk is in scope.")))

# %% [markdown]
# ## All risks
# Every risk in the register with its coverage; risks out of scope have no required level and no gap.

# %%
sections.show(lambda result: section("risks", html_table(report.risks_view(result))))

# %%
sections.show(report.method_note)

# %%
# the JSON summary and Excel tables when a run names an output folder (workbook run does); in the app,
# a preheated kernel waits here for its page request, then catches up with it
nb.finish()
