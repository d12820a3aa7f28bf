"""Benchmarks: they print numbers (markdown tables); tests never assert timings."""
