from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.instruments import instrument
from ketaclinic.core.permissions import Role
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.measures.services.instrument_wording import instrument_wording_load
from ketaclinic.measures.services.links import questionnaire_link_create
from ketaclinic.measures.wording import parse_option_labels
from ketaclinic.patients.models import PatientAlert
from tests.factories import StaffFactory
from tests.steps import acting


def link_url(token: str) -> str:
    return reverse("portal:questionnaire", kwargs={"token": token})


@pytest.fixture
def phq9_link(patient, nurse):  # type: ignore[no-untyped-def]
    _, token = questionnaire_link_create(actor=acting(nurse), patient=patient, instrument_code="phq9")
    return link_url(token)


@pytest.mark.django_db
def test_link_asks_for_birth_date_and_shows_nothing_of_the_patient_before(patient, phq9_link):
    page = Client().get(phq9_link).content.decode()
    assert "confirm your date of birth" in page
    assert patient.family_name not in page
    assert patient.mrn not in page
    assert "988" in page


@pytest.mark.django_db
def test_a_wrong_birth_date_is_refused(patient, phq9_link):
    page = Client().post(phq9_link, {"date_of_birth": "1901-01-01"}).content.decode()
    assert "does not match our records" in page
    assert "little interest" not in page.lower()


@pytest.mark.django_db
def test_patient_answers_saves_progress_then_submits_and_sees_crisis_resources(patient, phq9_link):
    client = Client()
    page = client.post(phq9_link, {"date_of_birth": patient.date_of_birth.isoformat()}).content.decode()
    assert "little interest or pleasure" in page.lower()
    saved = client.post(phq9_link, {"item_1": "2", "save": "1"}).content.decode()
    assert "Your answers are saved" in saved
    reopened = client.get(phq9_link).content.decode()
    assert re.search(r'<input type="radio" name="item_1" value="2"[^>]*checked', reopened)
    answers = {f"item_{n}": str(v) for n, v in {1: 2, 2: 3, 3: 2, 4: 2, 5: 1, 6: 2, 7: 1, 8: 0, 9: 1}.items()}
    done = client.post(phq9_link, answers | {"submit": "1"}).content.decode()
    assert "Thank you" in done
    assert "Please reach out now" in done
    assert "988" in done
    response = QuestionnaireResponse.objects.get()
    assert (response.total, response.source) == (14, "patient")
    assert PatientAlert.objects.filter(patient=patient, kind="suicide_risk").exists()
    assert "cannot be used" in client.get(phq9_link).content.decode()


@pytest.mark.django_db
def test_a_calm_submission_shows_the_quiet_crisis_footer_only(patient, phq9_link):
    client = Client()
    client.post(phq9_link, {"date_of_birth": patient.date_of_birth.isoformat()})
    done = client.post(phq9_link, {f"item_{n}": "0" for n in range(1, 10)} | {"submit": "1"}).content.decode()
    assert "Thank you" in done
    assert "Please reach out now" not in done
    assert "Need help right now?" in done


@pytest.mark.django_db
def test_an_unknown_link_says_so_without_detail():
    response = Client().get(link_url("not-a-real-token"))
    assert response.status_code == 404
    assert "cannot be used" in response.content.decode()


@pytest.mark.django_db
def test_a_spanish_link_speaks_spanish_once_the_clinic_loads_a_validated_translation(center, patient, nurse):

    with pytest.raises(RuleViolation) as raised:
        questionnaire_link_create(actor=acting(nurse), patient=patient, instrument_code="phq9", language="es")
    assert raised.value.code == "wording_missing"
    admin = StaffFactory(center=center, role=Role.CENTER_ADMIN)
    labels = parse_option_labels(
        "0 = Para nada\n1 = Varios días\n2 = Más de la mitad\n3 = Casi a diario\n10.0 = Nada difícil",
        instrument("phq9"),
    )
    instrument_wording_load(
        actor=acting(admin),
        organization_id=center.organization_id,
        center_id=center.pk,
        instrument_code="phq9",
        language="es",
        item_texts={n: f"Pregunta validada {n}" for n in range(1, 11)},
        instructions="Instrucciones",
        licence_reference="PHQ Screeners, traducción al español de EE. UU.",
        option_labels=labels,
    )
    _, token = questionnaire_link_create(actor=acting(nurse), patient=patient, instrument_code="phq9", language="es")
    client = Client()
    identity = client.get(link_url(token)).content.decode()
    assert "confirme su fecha de nacimiento" in identity and "¿Necesita ayuda ahora mismo?" in identity
    page = client.post(link_url(token), {"date_of_birth": patient.date_of_birth.isoformat()}).content.decode()
    assert "9. Pregunta validada 9" in page and "Casi a diario" in page and "Nada difícil" in page
    assert "Enviar mis respuestas" in page and "Instrucciones" in page
    done = client.post(link_url(token), {f"item_{n}": "0" for n in range(1, 10)} | {"submit": "1"}).content.decode()
    assert "Gracias" in done
    assert QuestionnaireResponse.objects.get().language == "es"
