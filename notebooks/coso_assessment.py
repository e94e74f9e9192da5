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
# # COSO control assessment
#
# This workbook assesses the control environment against the **17 principles** of the COSO internal
# control framework, grouped in five components. Each guideline item of the questionnaire is rated on its
# own by the **three lines of assurance**: management (the risk owners), risk management and internal
# audit. The three ratings add up to a **combined score** that is read against a heat map; red items show
# where management can improve. Items the lines see very differently are flagged, and each
# principle is said to be **rated in place and working on average** (or not), by a rule kept in the questionnaire.
#
# The results bring the ratings of all three lines together: each principle and component, the items in the
# red band, the items the lines see differently, the items not yet rated by every line, and who answered,
# followed by the method used and the files it is based on.

# %% tags=["parameters"]
organisation = "Karoo Vale Local Municipality"
period = "2025-26"
as_of = "2025-11-30"
questionnaire = "coso-17-western-cape"
responses = "responses/karoo_vale_coso_2025.csv"
sheet = None
divergence_threshold = None
maturity_status = "integrated"
marks = None  # maturity marks, read for the applicability note when maturity_status is not given
source = "file"  # or "store": read the answers saved through the web form
store_url = None
show_form = False
output_dir = None
parameters_dir = None

# %%
import workbook_lib

nb = workbook_lib.start("coso-assessment", globals())  # checks the parameters, then form or report
params, sections = nb.params, nb.sections

from workbook_lib.assessments.coso import charts, report  # noqa: E402
from workbook_lib.core.outputs import html_table  # noqa: E402

# %%
sections.show(lambda result: report.opening_narrative(result, result.organisation, result.period,
                                                      params.as_of))

# %%
# NBVAL_CHECK_OUTPUT
sections.key_figures(report.key_figures)

# %%
sections.show(report.rating_guide)

# %% [markdown]
# ## Principles and components
# Each bar is the mean combined score of a principle's items that all three lines have rated, in the
# colour of the band that mean falls in; dashed lines mark where the bands begin. A principle with
# missing ratings is shown with the mean so far but is not judged.

# %%
sections.show(lambda result: charts.principle_bars(result) & charts.component_bars(result))

# %%
sections.show(report.principles_narrative)
sections.show(lambda result: html_table(report.principle_view(result)))

# %%
sections.show(lambda result: html_table(report.component_view(result)))

# %% [markdown]
# ## Red items
# Items whose combined score falls in the red band: the control environment needs management's attention
# here first.

# %%
sections.show(lambda result: html_table(report.red_view(result), empty="No item is in the red band."))

# %%
sections.show(report.divergence_narrative)
sections.show(charts.divergence_chart)

# %%
sections.show(lambda result: html_table(report.divergent_view(result), empty="No item is divergent."))

# %% [markdown]
# ## Incomplete items
# An item is incomplete while any line has not rated it. It is listed here with the lines still missing
# and is never given a combined score.

# %%
sections.show(lambda result: html_table(report.incomplete_view(result),
                                        empty="Every item has been rated by all three lines."))

# %% [markdown]
# ## Who rated
# One row per line of assurance: the key question it answered, who answered it, and how many items it rated.

# %%
sections.show(lambda result: html_table(result.respondents))

# %% [markdown]
# ## Every item
# Each line's rating in the colours of the scale, and the combined score in the colour of its band; a dash
# marks a missing rating.

# %%
sections.show(charts.item_grid)

# %%
sections.show(lambda result: html_table(report.items_table(result)))

# %%
sections.show(report.method_note)

# %%
# the JSON summary and Excel tables when a run names an output folder (workbook run does); in the app,
# a preheated kernel waits here for its page request, then catches up with it
nb.finish()
