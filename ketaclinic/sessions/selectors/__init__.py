"""Every read of treatment sessions, with bounded queries, one module per view of the record.

session (one session, a patient's sessions), calendar (the center's days), center (its chairs and
staff), flowsheet (one session's chart, the post-dose blood pressure), board (the chairs now),
baseline (what new readings are compared with), devices (a monitor's token), rems (the
monitoring form as filled, queued and printed).
"""
