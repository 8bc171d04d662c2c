"""Benchmarks: Billcraft measured against hand-written references in the same run, printed
as ratios (DESIGN section 9). ``./run bench`` (or ``uv run python -m bench``)."""
