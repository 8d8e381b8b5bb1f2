"""Every write of treatment sessions, one module per piece of the clinic's work.

booking (series from a signed plan, closing a session), checklist (pre-session checks and
overrides), plans (the plan in force, under a lock), dose (preparing, verifying, giving and
accounting for the dose; interventions), flowsheet (readings by hand), ingestion (monitor
readings), devices (registering monitors), discharge, notes (the session note), rems (enrollment
and the monitoring form), confirmations (the patient's answer to the day-before ask; the ask
itself is sent by ketaclinic.messaging).
"""
