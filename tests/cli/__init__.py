"""Tests of the billcraft command line, run as real processes."""
