"""The merchant console at `/console`: the review queue, the inspection bench, refunds and
analytics, in the browser, on the public API only."""
