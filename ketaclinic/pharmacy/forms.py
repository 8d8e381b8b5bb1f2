from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ketaclinic.pharmacy.services import product_catalog


class LotReceiveForm(forms.Form):
    product_key = forms.ChoiceField(label=_("Product"), choices=())
    lot_number = forms.CharField(label=_("Lot number"), max_length=40)
    expires_on = forms.DateField(label=_("Expiry date"), widget=forms.DateInput(attrs={"type": "date"}))
    units = forms.IntegerField(label=_("Vials or devices received"), min_value=1, max_value=10000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_key"].choices = [(key, entry.name) for key, entry in product_catalog().items()]  # type: ignore[attr-defined]
