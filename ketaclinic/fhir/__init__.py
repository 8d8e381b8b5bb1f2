"""FHIR R4 views of ketaclinic's clinical records, as plain JSON-ready dictionaries.

The mapping modules here are pure: they read core dataclasses and return dictionaries that
an API layer can serialise, so they can be tested without a database or a FHIR library.
"""
