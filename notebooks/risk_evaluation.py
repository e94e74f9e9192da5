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
# # Risk evaluation
#
# This workbook scores a risk register against a risk methodology: each risk's level as the register
# rates it (inherent and residual, or one current rating, as the methodology says), whether it sits above
# the organisation's **risk appetite**, who decides on it, and where it must be recorded. It then looks at
# treatment plans, reviews and, where the register records them, the roles partners play.
#
# It shows the key figures, where the risks sit on the matrix, how the risks moved since an earlier period, the
# risks that need a decision, how the register's own figures compare, the groups of risks, overdue treatment
# actions and reviews, and every risk in the register, and ends with the method used and the files it is based on.

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
report_rows = 500  # rows per report table (worst first); every row is in the .xlsx
columns = {}  # how to read your register's headings, e.g. {"Impact level": "inherent_impact", "Notes": "ignore"}
ratings = {}  # what your rating words mean, e.g. {"H": 4, "M": 3, "L": 2}
impact_money = None  # amounts of money as impact, e.g. {"currency": "GBP", "upper_bounds": [5000, 50000, ...]}
response_words = {}  # your own words for responses, e.g. {"mitigate": ["Contain"]}
status_words = {}  # your own words for risk statuses, e.g. {"closed": ["Done"]}
tolerance = None  # the highest residual score (or band) within tolerance, e.g. 12; None: the methodology's rule
control_factors = {}  # effectiveness rating -> % of the inherent score left, e.g. {"Fully effective": 45}
appetite_approved_by = None  # who approved the appetite and tolerance (the Council, in the guide)
appetite_approved_on = None  # when, e.g. "2025-05-28"
header_row = None  # the header's row number, as the spreadsheet shows it; None: found by the reader
skip_rows = []  # row numbers that are not risks
keep_rows = []  # row numbers the reader skipped that are risks
rounding = None  # fractional ratings such as 3.33: "up" or "nearest"
date_order = None  # dates such as 03/04/2025: "day-first" or "month-first"
level_words = {}  # your level words -> the methodology's band names, e.g. {"Alto": "High"}
maturity_status = None  # "fragmented", "integrated" or "risk intelligent"; None: from the maturity assessment
marks = None  # maturity marks, CSV/XLSX: when maturity_status is None the status is scored from them
tolerable_loss = None  # risk intelligent: a tolerable level of annual loss, in money, e.g. 2500000
simulation_trials = None  # simulated years for the loss curve; None: 100,000
simulation_seed = None  # the random seed, so the figures can be reproduced; None: the suite's
# earlier periods to compare with, e.g.
#   [{"period": "2024-25", "register": "registers/karoo_vale_municipality_2024.csv"}]
# (or "report": the risk-evaluation.json an earlier run wrote); none here, so a file run of another register
# (plain papermill with its own parameters file) never compares with this example's last year
earlier = []
renamed_ids = {}  # risk IDs renamed since the earlier period, e.g. {"KV-REC-01": "KV-013"}
source = "file"  # or "store": read the register saved through the web form
store_url = None
show_form = False
output_dir = None
parameters_dir = None

# %%
import workbook_lib

nb = workbook_lib.start("risk-evaluation", globals())  # checks the parameters, then form or report
params, sections = nb.params, nb.sections

from workbook_lib.assessments.risk import charts, quantify_report, report, tier_report  # noqa: E402
from workbook_lib.core.outputs import html_table  # noqa: E402

# risk intelligent: the loss section's two pictures drawn now, on the chart renderer's own thread, while the cells
# above them run
sections.draw_ahead(charts.loss_curve, charts.value_ranges)

# %%
sections.show(lambda ev: report.opening_narrative(ev, ev.organisation, ev.period))

# %%
# NBVAL_CHECK_OUTPUT
sections.key_figures(report.key_figures)

# %% [markdown]
# ## Where the risks sit

# %%
sections.show(report.matrix_note)
sections.show(charts.heatmaps)

# %%
sections.show(charts.movement)

# %%
# the heading names the earlier period: "Movement since 2024-25"
sections.show(report.movement_since)
sections.show(charts.movement_since)
sections.show(lambda ev: html_table(report.movement_view(ev), limit=params.report_rows, sheet="Movement",
                                    empty="No risk moved: every risk is as it was.")
              if ev.movement is not None else None)

# %% [markdown]
# ## Threats and opportunities
# The value map sets threats to the left and opportunities to the right, by impact, with likelihood upwards.
# Opportunities are scored on the same scales but never counted against the appetite.

# %%
sections.show(charts.value_map)

# %%
# risk intelligent only (the maturity status): the simulated losses, the loss curve and the value map as ranges
sections.show(quantify_report.losses_heading)
sections.show(quantify_report.losses_narrative)
sections.show(charts.loss_curve)
sections.show(lambda ev: html_table(quantify_report.contributions_view(ev), limit=params.report_rows,
                                    sheet="Loss by risk") if ev.quantification else None)
sections.show(charts.value_ranges)

# %%
# headings in the methodology's words ("Final risk", "Current risk"); without an appetite, every risk and who decides
sections.show(lambda ev: report.heading(ev, "decisions"))
sections.show(lambda ev: html_table(report.attention(ev), empty=report.decisions_empty(ev),
                                    limit=params.report_rows, sheet="Risks"))

# %% [markdown]
# ## Where the register's own figures differ
# When the register gives its own score or level for a risk, it is compared with the one computed here under
# the methodology; every difference is listed with the arithmetic, so the register or the rating can be put right.

# %%
sections.show(lambda ev: html_table(ev.disagreements, limit=params.report_rows, sheet="Own figures differing",
                                    empty="The register gives no score or level of its own, or every one agrees "
                                          "with the computed one."))

# %% [markdown]
# ## Closed and eliminated risks
# Listed as the register gives them; they are not scored, not counted against the appetite and not escalated.

# %%
sections.show(lambda ev: html_table(report.closed_view(ev), limit=params.report_rows, sheet="Risks",
                                    empty="No risk in the register is closed or eliminated."))

# %%
sections.show(lambda ev: report.heading(ev, "groups"))
sections.show(lambda ev: html_table(report.groups_view(ev), limit=params.report_rows,
                                    worst_first=(report.score_column(ev), False), sheet="Groups",
                                    empty="The register puts no risk in a group (a proposal, "
                                                          "programme or activity)."))

# %%
sections.show(lambda ev: report.heading(ev, "by category"))
sections.show(lambda ev: charts.residual_by(ev, "category") & charts.residual_by(ev, "owner"))

# %%
# risks per operational objective (when the register gives them) and per risk category: the guide's Table 20
sections.show(report.by_objective_and_category)
for by in ("objective", "category"):
    sections.show(lambda ev, by=by: html_table(report.aggregate_view(ev, by), limit=params.report_rows,
                                               sheet="By objective and category")
                  if report.aggregate_view(ev, by) is not None else None)

# %% [markdown]
# ## Treatment plans and reviews
# An action is overdue when its due date is before the as-of date and it is not complete; a review is
# overdue when its review date has passed.

# %%
sections.show(lambda ev: html_table(report.overdue(ev), empty="No treatment action or review is overdue.",
                                            limit=params.report_rows, worst_first=("due_date", True),
                                            sheet="Treatments"))

# %%
sections.show(report.roles_narrative)
sections.show(lambda ev: html_table(ev.roles, limit=params.report_rows, sheet="Partner roles")
              if ev.roles is not None else None)

# %%
sections.show(lambda ev: report.heading(ev, "all risks"))
sections.show(lambda ev: html_table(report.register_view(ev), limit=params.report_rows,
                                            worst_first=(report.score_column(ev), False), sheet="Risks"))

# %%
# each risk's objective, root causes, consequence, key performance indicator and monitoring, when given
sections.show(report.integrated_heading)
sections.show(lambda ev: html_table(report.integrated_view(ev), limit=params.report_rows, sheet="Risks")
              if report.integrated_view(ev) is not None else None)

# %%
sections.show(tier_report.tier_note)
sections.show(report.method_note)

# %%
# the JSON summary and Excel tables when a run names an output folder (workbook run does); in the app,
# a preheated kernel waits here for its page request, then catches up with it
nb.finish()
