"""Wasserstein distances, null distributions and verdicts."""
