"""Benchmarks of the DMKG service, measured side by side with peers (not timed tests)."""
