"""The words of every message sent to a patient, in the language active when they are built.

Only what a reminder needs: when, where, and the link; no treatment or clinical detail, and the
crisis line in every body.
"""

from __future__ import annotations

import datetime as dt

from django.utils import formats
from django.utils.translation import gettext as _


def questionnaire_reminder_subject() -> str:
    return _("A short questionnaire from your care team")


def questionnaire_reminder_body(*, url: str, hours: int) -> str:
    return _(
        "Hello from your care team. Please answer a short questionnaire before your next visit: %(url)s "
        "The link works once and expires in %(hours)s hours. If you are in crisis, call or text 988."
    ) % {"url": url, "hours": hours}


def session_confirmation_subject(*, center_name: str) -> str:
    return _("Your visit tomorrow at %(center)s") % {"center": center_name}


def session_confirmation_body(*, center_name: str, starts_at_local: dt.datetime, url: str) -> str:
    return _(
        "Hello from %(center)s. Your visit is tomorrow, %(date)s, at %(time)s. Please confirm that you will "
        "follow the fasting instructions your clinic gave you and that an adult will take you home: %(url)s "
        "The link works once, until your visit. If you are in crisis, call or text 988."
    ) % {
        "center": center_name,
        "date": formats.date_format(starts_at_local, "DATE_FORMAT"),
        "time": formats.time_format(starts_at_local, "TIME_FORMAT"),
        "url": url,
    }
