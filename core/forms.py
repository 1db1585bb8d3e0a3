"""Form helpers shared by every app: money typed in yuan and kept in fen, times typed in Beijing
time and kept aware, and the mapping of service RuleViolations onto form fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import BaseTemporalField

from core import clock
from core.money import fen_to_yuan_str, parse_yuan


class YuanField(forms.CharField):
    """People type yuan ("1,234,567.89", "¥1234"); the cleaned value is int fen. Initial values are
    fen and are shown back in yuan. parse_yuan accepts no sign, so amounts are never negative."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        # An int is an initial value (fen) coming back through a disabled field, never typed input.
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = super().to_python(value)
        if not text:
            return None
        return parse_yuan(text)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return fen_to_yuan_str(value)
        return value


class DateInput(forms.DateInput):
    """A native date picker; its value must be ISO (YYYY-MM-DD) whatever the language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateField(forms.DateField):
    widget = DateInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)


BEIJING_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class BeijingDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class BeijingDateTimeField(forms.DateTimeField):
    """A `datetime-local` input read as Beijing time (Asia/Shanghai), whatever the server's or the
    browser's time zone; the cleaned value is an aware datetime."""

    widget = BeijingDateTimeInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", BEIJING_INPUT_FORMATS)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            if value.tzinfo is None:
                return value.replace(tzinfo=clock.SHANGHAI)
            return value
        parsed = BaseTemporalField.to_python(self, str(value).strip())
        return None if parsed is None else parsed.replace(tzinfo=clock.SHANGHAI)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(clock.SHANGHAI).replace(tzinfo=None)
        return value


def apply_rule_errors(form: forms.BaseForm, exc: ValidationError,
                      field_map: Mapping[str, str] | None = None) -> None:
    """Put each violation on the form field it names (service names such as `start_price_fen` are
    translated through `field_map`), or as a non-field error when the form has no such field.
    Accepts a RuleViolation, a RuleViolations and a model ValidationError with an error dict.
    Call it after `form.is_valid()`."""
    field_map = field_map or {}

    def target(name: str | None) -> str | None:
        mapped = field_map.get(name, name) if name else None
        return mapped if mapped in form.fields else None

    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(target(name), error)
        return
    # A single RuleViolation is its own error_list; a RuleViolations lists one RuleViolation per rule.
    for item in exc.error_list:
        form.add_error(target(getattr(item, "field", None)), item)
