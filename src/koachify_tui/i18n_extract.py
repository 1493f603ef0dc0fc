"""Catalogue tooling (development only): the Babel extractor and the completeness check.

`scripts/i18n-refresh` runs `pybabel extract` with `babel.cfg`, which maps our sources to `extract` below:
the `_`, `N_` and `ngettext` calls plus the docstrings of Typer commands, which Typer shows as
`--help` and which the CLI translates at run time (commands/localize.py). `check` lists what the Italian
catalogue lacks; tests/test_i18n.py fails on the same list."""

from __future__ import annotations

import ast
import inspect
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

PACKAGE = Path(__file__).parent
PO_FILE = PACKAGE / "locale" / "it" / "LC_MESSAGES" / "koachify.po"
KEYWORDS: dict[str, Any] = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(\w+\)[sdr]|%[sd]")


def extract(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple[Any, ...]]:
    """Babel extraction method: gettext calls, then the help docstrings of Typer commands.

    Read from the syntax tree rather than tokens, so calls inside f-strings (`f"{_('due')} …"`) are found too."""
    source = fileobj.read().decode("utf-8")
    yield from gettext_calls(source)
    for lineno, doc in command_docstrings(source):
        yield lineno, None, doc, []


def gettext_calls(source: str) -> Iterator[tuple[int, str, Any, list[str]]]:
    """`_("…")`, `N_("…")` and `ngettext("…", "…", n)` calls with literal strings, in source order."""
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in KEYWORDS):
            continue
        literals = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if node.func.id in ("ngettext", "pgettext") and len(literals) >= 2:
            yield node.lineno, node.func.id, (literals[0], literals[1]), []
        elif (
            node.func.id not in ("ngettext", "pgettext")
            and literals
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            yield node.lineno, node.func.id, literals[0], []


def command_docstrings(source: str) -> Iterator[tuple[int, str]]:
    """Docstrings of top-level functions registered as Typer commands or callbacks: decorated with
    `@x.command(...)` / `@x.callback(...)`, passed to `x.command(...)(fn)` or taking Typer options; cleaned as
    `inspect.getdoc` does."""
    tree = ast.parse(source)
    registered: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Call) and _is_command_call(node.func):
            for arg in node.args:
                if isinstance(arg, ast.Name):
                    registered.add(arg.id)
                elif isinstance(arg, ast.Attribute):
                    registered.add(arg.attr)
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        decorated = any(isinstance(d, ast.Call) and _is_command_call(d) for d in node.decorator_list)
        doc = ast.get_docstring(node, clean=False)
        if doc and (decorated or node.name in registered or _takes_options(node)):
            yield node.lineno, inspect.cleandoc(doc)


def _takes_options(node: ast.FunctionDef) -> bool:
    """A public function with Typer options (`DbOption`, `Annotated[..., typer.Option(...)]`): a command
    registered from another module (`app.command("demo")(demo.demo)`)."""
    annotations = [ast.unparse(a.annotation) for a in node.args.args if a.annotation]
    return not node.name.startswith("_") and any(
        a.endswith("Option") or "typer.Option" in a or "typer.Argument" in a for a in annotations
    )


def _is_command_call(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr in {"command", "callback"}


Msgid = str | tuple[str, str]  # a (singular, plural) pair for ngettext


def code_messages() -> dict[tuple[str | None, Msgid], list[str]]:
    """Every (context, msgid) in the package (context: pgettext's first argument, else None) → where it occurs."""
    from babel.messages.extract import extract_from_dir

    found: dict[tuple[str | None, Msgid], list[str]] = {}
    method_map = [("**.py", "koachify_tui.i18n_extract:extract")]
    for filename, lineno, message, _comments, context in extract_from_dir(str(PACKAGE), method_map, keywords=KEYWORDS):
        if not message:
            continue
        msgid: Msgid = (str(message[0]), str(message[1])) if isinstance(message, tuple) else str(message)
        found.setdefault((context, msgid), []).append(f"{filename}:{lineno}")
    return found


def placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def problems(po_file: Path = PO_FILE) -> list[str]:
    """What is wrong with the catalogue against the code: missing, empty, fuzzy, placeholders that differ."""
    from babel.messages.pofile import read_po

    with po_file.open("rb") as fh:
        catalog = read_po(fh)
    out: list[str] = []
    for (context, msgid), where in sorted(code_messages().items(), key=lambda item: str(item[0][1])):
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = catalog.get(key, context=context)
        label = f"{msgid!r}{f' [{context}]' if context else ''} ({where[0]})"
        if message is None:
            out.append(f"missing: {label}")
            continue
        strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
        if not all(strings):
            out.append(f"untranslated: {label}")
        elif message.fuzzy:
            out.append(f"fuzzy: {label}")
        else:
            ids: list[str] = [msgid] if isinstance(msgid, str) else list(msgid)
            expected = placeholders(ids[-1])
            for text in strings:
                # a singular form may leave out {n} ("un contatto"), nothing else may differ
                got = placeholders(text)
                if got != expected and not (len(ids) > 1 and set(got) <= set(expected)):
                    out.append(f"placeholders differ: {label} → {text!r}")
                    break
    return out


def main() -> int:
    found = problems()
    for line in found:
        print(line)
    print(f"{len(found)} entries to translate or fix in {PO_FILE.relative_to(PACKAGE.parent.parent)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
