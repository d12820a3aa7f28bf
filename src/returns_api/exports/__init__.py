"""CSV export of returns, streamed page by page (finance wants the numbers out)."""
