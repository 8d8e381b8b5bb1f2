from __future__ import annotations

import pytest

from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.instruments import instrument
from ketaclinic.core.permissions import Role
from ketaclinic.measures.services.instrument_wording import instrument_wording_load
from ketaclinic.measures.wording import bundled_text, parse_option_labels
from tests.factories import StaffFactory
from tests.steps import acting


def test_option_labels_apply_to_every_item_with_that_value_or_to_one_item():
    labels = parse_option_labels("0 = Nunca\n3 = Siempre\n10.0 = Nada difícil", instrument("phq9"))
    assert labels[1] == {0: "Nunca", 3: "Siempre"}
    assert labels[10] == {0: "Nada difícil", 3: "Siempre"}


@pytest.mark.parametrize(("text", "message"), [("zero = x", "write"), ("0 =", "no label"), ("11.0 = x", "no answer")])
def test_unreadable_option_labels_are_refused(text, message):
    with pytest.raises(RuleViolation, match=message):
        parse_option_labels(text, instrument("phq9"))


def test_phq9_ships_its_english_wording_but_no_spanish():
    assert bundled_text(instrument("phq9"), "en") is not None
    assert bundled_text(instrument("phq9"), "es") is None
    assert bundled_text(instrument("madrs"), "en") is None


@pytest.mark.django_db
def test_bundled_english_cannot_be_overwritten_by_a_load(center):
    with pytest.raises(RuleViolation) as raised:
        instrument_wording_load(
            actor=acting(StaffFactory(center=center, role=Role.CENTER_ADMIN)), organization_id=center.organization_id,
            center_id=center.pk, instrument_code="phq9", language="en",
            item_texts={n: "x" for n in range(1, 11)}, instructions="", licence_reference="n/a",
        )  # fmt: skip
    assert raised.value.code == "wording_bundled"
