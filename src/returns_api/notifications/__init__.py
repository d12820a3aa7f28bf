"""Customer e-mail from the outbox: one notification per (event, recipient), sent by the worker."""
