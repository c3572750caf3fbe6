"""Lifecycle, transitions, launch refusals and the coverage gate with non-default values."""
