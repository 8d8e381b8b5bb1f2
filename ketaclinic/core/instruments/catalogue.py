"""Find and load the instrument data files shipped in this package."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

import yaml

from ketaclinic.core.errors import NotFound, RuleViolation
from ketaclinic.core.instruments.definitions import Instrument
from ketaclinic.core.instruments.schema import InstrumentDefinitionError, parse_instrument

DATA_SUFFIX = ".yaml"


def _data_folder() -> Traversable:
    return files(__package__ or "ketaclinic.core.instruments")


@cache
def instrument_codes() -> tuple[str, ...]:
    """Codes of every shipped instrument, in alphabetical order."""
    return tuple(
        sorted(
            entry.name.removesuffix(DATA_SUFFIX)
            for entry in _data_folder().iterdir()
            if entry.is_file() and entry.name.endswith(DATA_SUFFIX)
        )
    )


def load(code: str) -> Instrument:
    """The parsed definition of instrument ``code``; ``NotFound`` if none is shipped."""
    if not isinstance(code, str) or code not in instrument_codes():
        raise NotFound(f"No rating scale with code {code!r}.", code="instrument_not_found", field="code")
    return _load(code)


instrument = load


@cache
def _load(code: str) -> Instrument:
    resource = _data_folder() / f"{code}{DATA_SUFFIX}"
    try:
        data = yaml.safe_load(resource.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise InstrumentDefinitionError(f"{resource.name}: not valid YAML: {error}") from error
    definition = parse_instrument(data, origin=resource.name)
    if definition.code != code:
        raise InstrumentDefinitionError(f"{resource.name}: code {definition.code!r} does not match the file name")
    return definition


def all_instruments() -> tuple[Instrument, ...]:
    """Every shipped instrument, in alphabetical order of code."""
    return tuple(_load(code) for code in instrument_codes())


def answers_from(code: str, source_code: str, source_answers: Mapping[int, int | None]) -> dict[int, int | None]:
    """Pick ``code``'s answers out of an instrument that contains it (PHQ-2 from PHQ-9).

    When the full form was collected, the short screen is derived from it, never asked twice.
    """
    target = load(code)
    for embedding in target.embedded_in:
        if embedding.instrument == source_code:
            return {own: source_answers.get(source) for own, source in embedding.items.items()}
    raise RuleViolation(
        f"{target.short_name} is not part of {source_code!r}.",
        code="instrument_not_embedded",
        field="source_code",
    )
