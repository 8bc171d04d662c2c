"""Tests of the domain service layer."""
