"""The catalog of variants the platform syncs: what an exchange may name and what it costs.

A customer never names a price: an exchange names a variant, and its price comes from here.
"""
