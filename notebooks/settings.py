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
# # Organisation settings
#
# An organisation's risk methodology, appetite and tolerance, its own assurance providers, where its
# maturity status comes from and its reporting period. Every form and report of the organisation uses them.

# %% tags=["parameters"]
organisation = ""  # the organisation and period the page opens on
period = ""
store_url = None
show_form = False

# %%
from workbook_lib.app import settings_page
from workbook_lib.core.forms import serve

page = settings_page.start(globals())

# %%
serve(page)
