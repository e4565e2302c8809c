"""Benchmarks: `python -m bench [NAME ...] [-- ARGS]`; each bench/<name>.py has `main(argv)`."""
