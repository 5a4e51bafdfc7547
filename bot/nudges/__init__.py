"""Nudges: the scheduler tick, exactly-once bookkeeping, and rate-limited delivery."""
