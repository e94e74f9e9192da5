# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Combined assurance
#
# This workbook sets the organisation's **assurance map** (which provider checks which key control of
# which risk, and how often) against its **evaluated risk register**. For every risk in scope it shows
# which lines of assurance cover it, classes that coverage as *extensive*, *moderate*, *inadequate* or
# *none*, compares it with the coverage the risk's residual level calls for, and lists the **gaps**. It
# also finds controls that too many providers check (**duplication**), shows each provider's
# **workload**, and drafts a **Combined Assurance Plan** that can be exported to Excel.
#
# Change the parameters below (or pass a parameters file to `workbook run combined-assurance`) and run all.

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
framework = "combined-assurance"
providers = [{"id": "occupational_health_safety", "name": "Occupational health and safety", "line": 2,
              "independent": False}]
scope_min_residual = None
required_by = "residual_level"
required_coverage = None
duplication_threshold = None
duplication_frequency = None
maturity_status = "integrated"
plan_owner = "Chief Risk Officer (combined assurance champion)"
accounting_officer = "Municipal Manager"
oversight_committee = "Audit and Performance Audit Committee"
output_dir = None
parameters_dir = None

# %%
from IPython.display import HTML, Markdown, display

from workbook_lib import assurance, charts, charts_assurance, params as wb_params, reports

params = wb_params.from_namespace(globals(), assurance.CombinedAssuranceParams,
                                  ignore={"params", "result", "HTML", "Markdown", "display"})
charts.use_static_renderer()
try:
    result = assurance.run_combined_assurance(params)
except reports.InputError as problems:
    display(HTML(problems._repr_html_()))
    raise

# %%
display(Markdown(assurance.opening_narrative(result, params.organisation, params.period)))

# %%
# NBVAL_CHECK_OUTPUT
print(assurance.key_figures(result))

# %% [markdown]
# ## The assurance map
# One row per risk (in scope, or named in the map; highest residual first), one column per provider,
# grouped by line of assurance. A cell gives the frequency code of each activity the provider carries
# out on the risk's controls, the most frequent first and shaded by it; `-` marks a provider named
# without any agreed activity. Rows marked GAP have less coverage than they need.

# %%
charts_assurance.assurance_grid(result)

# %% [markdown]
# ## Coverage against residual level
# The matrix counts the risks in scope by residual level and coverage; a red border marks cells that
# hold gaps. Below it, each risk's coverage found (dot) is set against the coverage it requires (ring);
# a red line is the distance still to cover.

# %%
charts_assurance.coverage_matrix(result)

# %%
charts_assurance.coverage_by_risk(result)

# %% [markdown]
# ## Gaps
# Risks in scope whose coverage falls short of the level required, with what would close the gap.

# %%
display(reports.html_table(assurance.gaps_view(result), empty="Every risk in scope has the coverage it needs."))

# %% [markdown]
# ## Duplication
# Controls checked by more providers, at or above the threshold frequency, than the framework allows.
# Each of these is a candidate for relying on one provider's work instead of repeating it.

# %%
display(reports.html_table(assurance.duplications_view(result), empty="No control is duplicated."))

# %% [markdown]
# ## Provider workload
# Controls each provider assures, the risks they touch and the assurance events a year their
# frequencies add up to.

# %%
charts_assurance.workload(result)

# %%
display(reports.html_table(assurance.workload_view(result)))

# %% [markdown]
# ## Reconciliation
# Nothing is dropped silently: map rows that name a risk the register does not hold, and risks in
# scope that the map does not mention at all.

# %%
display(reports.html_table(result.not_in_register, empty="Every risk in the map is in the register."))
display(reports.html_table(result.not_mapped, empty="Every risk in scope appears in the map."))

# %%
display(Markdown(assurance.plan_markdown(result)))
display(reports.html_table(assurance.plan_table(result), empty="No risk is in scope."))

# %% [markdown]
# ## All risks
# Every risk in the register with its coverage; risks out of scope have no required level and no gap.

# %%
display(reports.html_table(assurance.risks_view(result)))

# %%
display(Markdown(assurance.method_note(result)))

# %%
# the JSON summary and Excel tables (the plan included), when a run names an output folder
if params.output_dir:
    assurance.write_outputs(result, params.organisation, params.period, params.output_dir,
                            stem="combined-assurance")
