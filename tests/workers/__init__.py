"""Tests of the background work: PDF rendering in Chromium."""
