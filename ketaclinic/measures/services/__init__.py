"""Every write of measurement-based care, one module per part of the work."""
