"""FHIR R4 views of ketaclinic's clinical records, as plain JSON-ready dictionaries.

The questionnaire mapping is pure: it reads core dataclasses and returns dictionaries that
an API layer can serialise, so it can be tested without a database or a FHIR library. The
session mapping (``sessions``) reads the session models and loads them in a fixed number of
queries.
"""
