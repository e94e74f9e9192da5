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
# # Risk and assurance workbooks
#
# Choose an assessment to open its form. Whatever you enter is saved with your name and the time, and
# you can come back to it later: choose the same organisation and period.

# %% tags=["parameters"]
organisation = ""  # pre-selects the organisation in every form link
period = ""

# %%
from IPython.display import HTML, display

from workbook_lib.app.landing import landing_page

display(HTML(landing_page(organisation, period)))
