"""Reads of measurement-based care, the patient scoped by the patient selectors first."""
