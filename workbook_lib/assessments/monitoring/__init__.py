"""Risk monitoring (groundwork): tolerance ranges as written, read into typed ranges, and the metrics catalogue."""
