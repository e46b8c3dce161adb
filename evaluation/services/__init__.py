"""Writes of evaluation, one module per concept: ledger, points (the nightly award), rules, rewards."""
