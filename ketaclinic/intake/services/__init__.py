"""Every write of intake: inquiries, the consultation, the eligibility decision (the letter to the
care team is sent by ketaclinic.messaging.letters)."""
