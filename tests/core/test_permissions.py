from ketaclinic.core.permissions import ROLE_PERMISSIONS, Perm, Role, role_allows


def test_permission_table_covers_every_action():
    """Every action has a row; an action without one would fail closed for everyone."""
    assert set(ROLE_PERMISSIONS) == set(Perm)


def test_researchers_cannot_reach_identified_patients():
    """Researchers see de-identified data only."""
    patient_actions = [
        perm for perm in Perm if perm.value.split(".")[0] in {"patient", "allergy", "care_team", "record_history"}
    ]
    assert patient_actions
    assert not any(role_allows(Role.RESEARCHER, perm) for perm in patient_actions)


def test_only_center_admins_read_the_audit_trail():
    assert {role for role in Role if role_allows(role, Perm.AUDIT_VIEW)} == {Role.CENTER_ADMIN}


def test_front_desk_can_register_but_not_edit_allergies():
    assert role_allows(Role.FRONT_DESK, Perm.PATIENT_CREATE)
    assert not role_allows(Role.FRONT_DESK, Perm.ALLERGY_EDIT)


def test_only_medical_directors_sign_off_a_cap_above_a_protocol_ceiling():
    assert {role for role in Role if role_allows(role, Perm.PLAN_CEILING_APPROVE)} == {Role.MEDICAL_DIRECTOR}
    assert not role_allows(Role.MEDICAL_DIRECTOR, Perm.PLAN_SIGN)
