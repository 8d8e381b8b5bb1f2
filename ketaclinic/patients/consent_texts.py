"""Starting texts for the demo's consent documents, one per route (data in consent_texts.yaml).

A real clinic publishes the text its medical director approved, as a new version.
"""

from __future__ import annotations

from importlib import resources

import yaml

_DATA = yaml.safe_load(resources.files("ketaclinic.patients").joinpath("consent_texts.yaml").read_text())

TEXTS: dict[str, tuple[str, str]] = {
    route: (entry["title"], f"{entry['intro'].strip()}\n\n{_DATA['common'].strip()}")
    for route, entry in _DATA["routes"].items()
}
