"""Store credit: a ledger per customer and currency, credited by refunds, spent at checkout."""
