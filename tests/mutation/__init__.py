"""Mutation testing of the critical modules (`make mutants`, see docs/mutation-testing.md)."""
