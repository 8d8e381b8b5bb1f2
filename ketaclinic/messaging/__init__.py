"""Messages that leave the clinic: their words, how they are sent, and the reminders that send them.

The clinical apps never send anything themselves: questionnaire reminders (measures) and the
day-before ask (sessions) are composed and sent here, by Django Tasks enqueued daily; the
consultation letter to the care team (intake, with the plan from treatment) is written here too.
"""
