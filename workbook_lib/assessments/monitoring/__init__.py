"""Risk monitoring: tolerance metrics and key risk indicators (KRIs) read against their tolerance ranges over the
periods, the ratings they call to revisit, and who must act when a metric is outside tolerance."""
