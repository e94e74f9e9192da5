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
# # Risk and assurance workbooks
#
# Choose an assessment to open its form. Whatever you enter is saved with your name and the time, and
# you can come back to it later: choose the same organisation and period.

# %% tags=["parameters"]
organisation = ""  # pre-selects the organisation in every form link
period = ""

# %%
from workbook_lib.app.landing import Landing
from workbook_lib.core.forms import serve

page = Landing(organisation, period)  # who is signed in, their organisations, and every form
page  # noqa: B018 - shown

# %%
serve(page)  # in the app's preheated kernel: drawn again for the request's user
