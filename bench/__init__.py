"""Benchmarks of the discussion at news scale (issue 6): `make bench`, `make bench-peer`, `make load`."""
