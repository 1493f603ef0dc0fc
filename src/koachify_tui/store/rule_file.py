"""The schema of a rule file (`koachify automations add --file`, JSON or TOML): typed, strict, bounded.

`enabled = "false"` is not true, `tag = ["a", "b"]` is not a tag, a float is not a day count; every error
names the offending key's path (`rules[2].actions[0].tag: …`). What a trigger or an action accepts beyond
types is checked by rules.validate_filters / validate_actions, once for files, flags and the rules screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, ValidationError

from .errors import InvalidValue

Scalar = StrictStr | StrictInt | StrictFloat
ActionValue = StrictStr | StrictInt | StrictFloat | StrictBool | None
MAX_RULES = 1000  # per file; more is a mistake (or an attack), not a rule set
MAX_ITEMS = 100  # filter values, actions, parameters


class RuleSpec(BaseModel):
    """One rule as a file holds it (see store/rules.py's docstring); an exported rule's statistics are
    accepted and ignored."""

    model_config = ConfigDict(strict=True, extra="forbid")

    name: StrictStr = ""
    trigger: StrictStr = ""
    filters: dict[StrictStr, Scalar | list[Scalar]] = Field(default_factory=dict, max_length=MAX_ITEMS)
    actions: list[dict[StrictStr, ActionValue]] = Field(default_factory=list, max_length=MAX_ITEMS)
    enabled: StrictBool = True
    fire_on_import: StrictBool = False
    # Read-only keys of `automations show` / `list --json` output (a rule exported and read back).
    id: StrictInt | None = None
    run_count: StrictInt | None = None
    last_run_at: StrictStr | None = None
    last_error: StrictStr | None = None
    position: StrictInt | None = None


_UNION_TAGS = {"str", "int", "float", "bool", "none"}  # pydantic's names for a union's members in a location


def _path(prefix: str, loc: tuple[int | str, ...]) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "rule"


def _message(exc: ValidationError, prefix: str) -> str:
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and (p in _UNION_TAGS or "[" in p)))
    more = len(exc.errors()) - 1
    tail = f" (and {more} more)" if more else ""
    return f"{_path(prefix, loc)}: {err['msg']}{tail}"


def check_rule(data: Any, prefix: str = "") -> RuleSpec:
    """`data` as a RuleSpec, or InvalidValue naming the first bad key's path."""
    if not isinstance(data, Mapping):
        raise InvalidValue(f"{prefix or 'a rule'}: must be a table/object with name, trigger, filters and actions")
    try:
        return RuleSpec.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidValue(_message(exc, prefix)) from None


def check_rule_file(items: list[Any], key: str = "rules") -> list[RuleSpec]:
    """Every rule of a file, checked before any is created (a file's rules are added all or none)."""
    if len(items) > MAX_RULES:
        raise InvalidValue(f"{len(items)} rules in one file (at most {MAX_RULES})")
    return [check_rule(item, f"{key}[{i}]") for i, item in enumerate(items)]
