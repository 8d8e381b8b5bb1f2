"""Every read of patient data; patients.py holds the center-scoping rule the others rely on."""
