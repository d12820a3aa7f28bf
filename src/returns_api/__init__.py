"""returns-api: the returns back-end for online shops."""
