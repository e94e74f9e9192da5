"""Decisions on record, across the assessments: acceptances and approvals of what each assessment says is due (a
risk above appetite or tolerance, a metric outside tolerance, an assurance gap, the appetite and tolerance), with
expiry and review; treatment plans (the provincial guide's Template 3); and the sign-off of an assessment for a
period. Not an assessment (no notebook, parameters or run): the registry loads its commands (``SPANNING``), and
what is due comes from each assessment's ``decisions_due`` reading its own JSON summary."""
