from __future__ import annotations

import datetime as dt

import pytest

from ketaclinic.core.errors import NotFound
from ketaclinic.core.permissions import Perm, Role
from ketaclinic.patients.selectors.patients import (
    parse_date_of_birth,
    patient_find_for_emergency,
    patient_get,
    patient_list,
)
from tests.factories import PatientFactory, StaffFactory
from tests.steps import acting


@pytest.fixture
def people(center):  # type: ignore[no-untyped-def]
    return {
        "ana": PatientFactory(center=center, given_name="Ana", family_name="Garcia", mrn="KC0000010"),
        "anabel": PatientFactory(
            center=center, given_name="Anabel", family_name="Nguyen", date_of_birth=dt.date(1971, 2, 9)
        ),
        "luis": PatientFactory(center=center, given_name="Luis", family_name="Garcia", preferred_name="Lucho"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("garcia", ["ana", "luis"]),
        ("Garcia, Ana", ["ana"]),
        ("ana gar", ["ana"]),
        ("ana", ["ana", "anabel"]),
        ("lucho", ["luis"]),
        ("kc0000010", ["ana"]),
        ("1971-02-09", ["anabel"]),
        ("02/09/1971", ["anabel"]),
        ("zzz", []),
        ("", ["ana", "luis", "anabel"]),
    ],
)
def test_patient_list_searches_name_birth_date_and_mrn(people, nurse, search, expected):
    found = list(patient_list(actor=acting(nurse), search=search))
    assert found == [people[key] for key in expected]


@pytest.mark.django_db
def test_patient_list_never_includes_other_centers(people, nurse, other_center):
    PatientFactory(center=other_center, family_name="Garcia")
    assert {p.center_id for p in patient_list(actor=acting(nurse), search="garcia")} == {people["ana"].center_id}


@pytest.mark.django_db
def test_patient_list_is_empty_for_researchers(people, center):
    assert not patient_list(actor=acting(StaffFactory(center=center, role=Role.RESEARCHER))).exists()


@pytest.mark.django_db
def test_patient_get_answers_not_yours_like_no_such_patient(nurse, other_center):
    foreign = PatientFactory(center=other_center)
    with pytest.raises(NotFound) as foreign_error:
        patient_get(actor=acting(nurse), perm=Perm.PATIENT_VIEW, patient_id=foreign.external_id)
    with pytest.raises(NotFound) as missing_error:
        patient_get(actor=acting(nurse), perm=Perm.PATIENT_VIEW, patient_id="00000000-0000-0000-0000-000000000000")
    assert str(foreign_error.value) == str(missing_error.value)


@pytest.mark.django_db
def test_emergency_lookup_needs_both_mrn_and_birth_date(nurse, other_center):
    foreign = PatientFactory(center=other_center, mrn="KC0000077", date_of_birth=dt.date(1980, 1, 1))
    assert (
        patient_find_for_emergency(actor=acting(nurse), mrn="kc0000077", date_of_birth=dt.date(1980, 1, 1)) == foreign
    )
    with pytest.raises(NotFound):
        patient_find_for_emergency(actor=acting(nurse), mrn="KC0000077", date_of_birth=dt.date(1980, 1, 2))


@pytest.mark.django_db
def test_emergency_lookup_stays_inside_the_organization(nurse):
    stranger = PatientFactory(mrn="KC0000088")  # another organization altogether
    with pytest.raises(NotFound):
        patient_find_for_emergency(actor=acting(nurse), mrn="KC0000088", date_of_birth=stranger.date_of_birth)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1990-06-02", dt.date(1990, 6, 2)), ("6/2/1990", dt.date(1990, 6, 2)), ("2/30/1990", None), ("Garcia", None)],
)
def test_parse_date_of_birth(text, expected):
    assert parse_date_of_birth(text) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 40])
def test_patient_list_query_count_is_flat(django_assert_num_queries, nurse, center, count):
    PatientFactory.create_batch(count, center=center)
    with django_assert_num_queries(2):  # the actor's roles, then the patients with their centers
        assert len(list(patient_list(actor=acting(nurse)))) == count
