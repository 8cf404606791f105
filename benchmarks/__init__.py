"""Benchmarks: tinygrad_sgd beside PyTorch and hand-written numpy (`python benchmarks/run.py`).

Nothing is imported here on purpose: run.py must set the BLAS thread variables before
numpy is first imported.
"""
