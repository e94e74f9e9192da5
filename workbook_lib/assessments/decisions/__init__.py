"""Decisions on record, across the assessments: acceptances and approvals of what each assessment says is due (a
risk above appetite or tolerance, a metric outside tolerance, an assurance gap, the appetite and tolerance), with
expiry and review; treatment plans (the provincial guide's Template 3); and the sign-off of an assessment for a
period. Not an assessment (no parameters or run of its own): the registry loads its commands (``SPANNING``) and
its page (``PAGE``: the Decisions notebook, kept here and served by the app by its file name, listed on the landing
page), and what is due comes from each assessment's ``decisions_due`` reading its own JSON summary."""

from pathlib import Path

# the app's Decisions page: its notebook, its name and what it is for on the landing page
PAGE = {"notebook": Path(__file__).parent / "decisions.ipynb", "title": "Decisions",
        "purpose": "What the assessments say needs a decision (a risk above the appetite, a metric outside tolerance, "
                   "an assurance gap, the appetite and tolerance), who may decide it, the requests, approvals and "
                   "rejections, and their history.",
        "when": "After the assessments"}
