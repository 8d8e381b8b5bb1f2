"""Reads of intake: inquiries, and a patient's consultations."""
