"""Billcraft's test suite."""
