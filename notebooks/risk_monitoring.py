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
# # Risk monitoring
#
# This workbook watches the municipality's risks between assessments. Each tolerance metric (the provincial
# guide's risk tolerance table: going concern issues, service delivery levels, the current ratio, debtors
# collection days, the vacancy rate and others) has a tolerance range; its readings for each period are
# compared with it: **within** tolerance, **near** a limit, **outside** tolerance, or **no reading** (a
# missing reading is never taken as within tolerance). Key risk indicators tie metrics to risks of the
# register, so a risk rated Low whose indicator is outside tolerance is flagged as a rating to revisit, and
# every metric outside tolerance is escalated to the management level the catalogue names (the guide: senior
# management). A reading better than its range (above a floor such as the current ratio's) is within tolerance.
#
# The results show the metrics by state, each metric's readings over the periods against its tolerance
# band, the risks linked to metrics outside tolerance, the escalations, the readings still missing, and
# every reading used, followed by the method and the decisions taken on the source table.

# %% tags=["parameters"]
organisation = "Karoo Vale Local Municipality"
period = "2025-26"
as_of = "2025-11-30"
metrics = "table-25-metrics"
readings = "monitoring/karoo_vale_readings.csv"
sheet = None
warning = 0.1
kris = [
    {"metric": "debtors_collection_days", "risks": ["KV-005", "KV-007"]},
    {"metric": "Vacancy rate", "risks": ["KV-020"]},
    {"metric": "minimum_service_delivery_levels", "risks": ["KV-018", "KV-002"]},
]
methodology = "western-cape-5x5"
register = "registers/karoo_vale_municipality_2025.csv"
appetite = {"default": "Low", "categories": {"Financial": 4, "Compliance": 4}}
# how the register is read and rated, as for risk-evaluation (docs/registers.md)
banding = None
partner_roles = []
tolerance = None
report_rows = 500
control_factors = {}
appetite_approved_by = None
appetite_approved_on = None
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
maturity_status = None  # "fragmented", "integrated" or "risk intelligent"; None: from the maturity assessment
marks = None  # maturity marks, CSV/XLSX: when maturity_status is None the status is scored from them
tolerable_loss = None  # risk intelligent: a tolerable level of annual loss, in money, e.g. 2500000
simulation_trials = None  # simulated years for the loss curve; None: 100,000
simulation_seed = None  # the random seed, so the figures can be reproduced; None: the suite's
earlier = []
renamed_ids = {}
source = "file"  # or "store": the readings (and the register) saved through the web forms
store_url = None
show_form = False
output_dir = None
parameters_dir = None

# %%
import workbook_lib

nb = workbook_lib.start("risk-monitoring", globals())  # checks the parameters, then form or report
params, sections = nb.params, nb.sections

from workbook_lib.assessments.monitoring import charts as charts_monitoring  # noqa: E402
from workbook_lib.assessments.monitoring import report  # noqa: E402
from workbook_lib.core.outputs import html_table  # noqa: E402

# %%
sections.show(report.opening_narrative)

# %%
# NBVAL_CHECK_OUTPUT
sections.key_figures(report.key_figures)

# %% [markdown]
# ## Metrics by state
# How many metrics of each risk type are outside tolerance, near a limit, within tolerance or without a
# reading for the period.

# %%
sections.show(charts_monitoring.state_overview)

# %%
sections.show(lambda result: html_table(report.metrics_view(result)))

# %% [markdown]
# ## Readings over the periods
# One panel per metric: its readings, oldest period first, each dot coloured by its state; the shaded band
# is the tolerance range (on a side without a limit the band runs to the edge of the panel).

# %%
sections.show(charts_monitoring.trends)

# %% [markdown]
# ## Risks linked to metrics outside tolerance
# Risks whose key risk indicator is outside tolerance, with their residual level and decision maker. A risk
# rated in the lowest band whose indicator is outside tolerance is a rating to revisit.

# %%
sections.show(lambda result: html_table(report.revisit_view(result),
                                        empty="No key risk indicator linked to a risk is outside tolerance."))

# %% [markdown]
# ## Escalations
# Every metric outside tolerance: the deviation is analysed, acted on and escalated (the guide: to senior
# management). Staying outside tolerance is only for a position that cannot be avoided, approved by the
# authority the methodology names above tolerance.

# %%
sections.show(lambda result: html_table(report.escalations_view(result),
                                        empty="No metric is outside tolerance: nothing to escalate."))

# %% [markdown]
# ## Readings missing for the period

# %%
sections.show(lambda result: html_table(report.missing_view(result),
                                        empty="Every metric has a reading for the period."))

# %% [markdown]
# ## Every reading used

# %%
sections.show(lambda result: html_table(report.readings_view(result), empty="No readings."))

# %%
sections.show(report.method_note)

# %%
# the JSON summary and Excel tables when a run names an output folder (workbook run does); in the app,
# a preheated kernel waits here for its page request, then catches up with it
nb.finish()
