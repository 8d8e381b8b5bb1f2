"""Every write of intake: inquiries, the consultation, the eligibility decision, the letter."""
