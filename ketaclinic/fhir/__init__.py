"""FHIR R4 views of ketaclinic's clinical records, as plain JSON-ready dictionaries.

The questionnaire mapping is pure: it reads core dataclasses and returns dictionaries that
an API layer can serialise, so it can be tested without a database or a FHIR library. The
response mapping (``responses``) reads stored questionnaire responses; the session mapping
(``sessions``) reads the session models and loads them in a fixed number of queries. The
downloads (``views``, ``urls``) live here too; no clinical app imports this package.
"""
