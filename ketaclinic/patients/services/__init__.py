"""Every write to a patient's record, one module per part of the record."""
