"""Steps the pharmacy tests share: a lot received into a center's stock."""

from __future__ import annotations

import datetime as dt

from ketaclinic.pharmacy.services import drug_lot_receive
from tests.steps import acting

EXPIRES = dt.date(2030, 6, 30)


def receive(actor, center, **changes):  # type: ignore[no-untyped-def]
    """``actor`` receives 10 units of lot KX-100 of the 10 mg/mL 20 mL vial, unless ``changes`` say otherwise."""
    values = {"product_key": "ketamine_10mg_ml_20ml", "lot_number": "KX-100", "expires_on": EXPIRES, "units": 10}
    return drug_lot_receive(actor=acting(actor), center=center, **(values | changes))
