"""Synthetic demo data: orders and returns to try analytics on, and to benchmark with."""
