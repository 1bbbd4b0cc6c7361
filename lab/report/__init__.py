"""rvmig host reports: pure functions from a lab run's raw results to report.md, CSV, JSON and plots."""
