"""Every read of patient data; scoping.py holds the center-scoping rule every app's selectors use."""
