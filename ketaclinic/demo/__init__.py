"""The demo network: two Buena Park centers, staff of every role, synthetic patients and their day.

No clinical app imports this package; only the ``seed_demo`` command and the tests do.
"""
