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
# # Risk-management maturity
#
# This workbook rates how mature the municipality's risk management is. Each element of the maturity
# matrix, in three assessments (**A** risk governance, **B** risk systems, **C** risk processes), is marked
# 1 (fragmented), 2 (integrated) or 3 (risk intelligent); the total gives the maturity status, which
# decides the toolkit version that applies. It lists the elements below a target status with what the
# next level looks like, sketches a roadmap, summarises the capacity, skills and budget answers of the
# three lines of assurance and, where earlier periods are given, shows the trend.
#
# The results show the maturity status and score of each assessment, the elements to improve, the roadmap,
# the capacity answers by line, the trend over earlier periods where there are any, and every element's
# mark, followed by the method used and the files it is based on.

# %% tags=["parameters"]
organisation = "Karoo Vale Local Municipality"
period = "2025-26"
as_of = "2025-11-30"
matrix = "maturity-matrix"
marks = "maturity/karoo_vale_marks_2025.csv"
capacity = "maturity/karoo_vale_capacity_2025.csv"
sheet = None
target_status = "integrated"
horizon_years = 5
history = [{"period": "2024-25", "marks": "maturity/karoo_vale_marks_2024.csv"}]
source = "file"  # or "store": read the marks and capacity answers saved through the web form
store_url = None
show_form = False
output_dir = None
parameters_dir = None

# %%
import workbook_lib

nb = workbook_lib.start("maturity-scoring", globals())  # checks the parameters, then form or report
params, sections = nb.params, nb.sections

from workbook_lib.assessments.maturity import charts as charts_maturity  # noqa: E402
from workbook_lib.assessments.maturity import report  # noqa: E402
from workbook_lib.core.outputs import html_table  # noqa: E402

# %%
sections.show(lambda result: report.opening_narrative(result, result.organisation, result.period))

# %%
# NBVAL_CHECK_OUTPUT
sections.key_figures(report.key_figures)

# %% [markdown]
# ## Marks per element
# Each bar is one element's mark, coloured by its level; the dashed line is the target status and bars
# outlined in black sit below it. An element not yet rated shows as a small grey stub.

# %%
sections.show(charts_maturity.element_marks)

# %% [markdown]
# Each assessment's score against the highest score it could reach (grey) and the score it would have
# with every element at the target status (red tick).

# %%
sections.show(charts_maturity.assessment_bars)

# %% [markdown]
# ## Where to improve
# Rated elements below the target status. The action is what the next level up looks like for that
# element, in the matrix's words: the step to take next, not necessarily the target itself.

# %%
sections.show(lambda result: html_table(report.gaps_view(result),
                                        empty="No rated element is below the target status."))

# %%
sections.show(report.roadmap_narrative)
sections.show(lambda result: html_table(result.roadmap, empty="No further step."))

# %%
sections.show(report.index_context)

# %%
sections.show(report.capacity_narrative)

# %% [markdown]
# Share of *yes* answers per section and line of assurance; the brackets give yes answers of answers given.

# %%
sections.show(lambda result: html_table(report.capacity_percentages(result)))

# %% [markdown]
# Items on which the lines of assurance answered differently:

# %%
sections.show(lambda result: html_table(result.capacity.disagreements, empty="The lines agree on every item."))

# %% [markdown]
# All capacity, skills and budget items with each line's answer. Items are numbered 1-11; the guide's
# own number is beside each (its numbering repeats 3 and skips 4 and 11).

# %%
sections.show(lambda result: html_table(report.capacity_view(result)))

# %% [markdown]
# ## Trend
# Mean mark (1-3) per assessment in each period given; the dotted lines are where the status changes.
# In the app, the earlier periods are those the store holds for the organisation.

# %%
sections.show(report.trend_narrative)
sections.show(charts_maturity.trend)  # nothing without an earlier period
sections.show(lambda result: html_table(result.trend) if len(result.trend) else None)

# %% [markdown]
# ## All elements

# %%
sections.show(lambda result: html_table(report.elements_view(result)))

# %%
sections.show(report.method_note)

# %%
# the JSON summary and Excel tables when a run names an output folder (workbook run does); in the app,
# a preheated kernel waits here for its page request, then catches up with it
nb.finish()
