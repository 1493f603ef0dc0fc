"""The Italian UI: the catalogue is complete, the language follows the config or the locale, plurals, the wheel.

When this file fails after you added or changed strings, run `scripts/i18n-refresh`: it extracts every msgid,
merges them into src/koachify_tui/locale/it/LC_MESSAGES/koachify.po and lists what needs translating. Write the
Italian msgstr (formal register, the CRM words already used in the .po), remove `#, fuzzy` once checked, re-run."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from koachify_tui import i18n
from koachify_tui.app import make_app
from koachify_tui.cli import app as cli_app
from koachify_tui.config import Settings
from koachify_tui.i18n import _, ngettext
from koachify_tui.i18n_extract import PO_FILE, problems
from koachify_tui.store import Store

ROOT = Path(__file__).parent.parent
IT_ENV = {"LANG": "it_IT.UTF-8", "LC_ALL": None, "LC_MESSAGES": None}


def test_catalogue_is_complete() -> None:
    """Every msgid in the code is in the Italian .po, translated, not fuzzy, with the same placeholders."""
    found = problems()
    assert not found, "run scripts/i18n-refresh and translate:\n" + "\n".join(found)


def test_check_catches_missing_fuzzy_and_placeholders(tmp_path: Path) -> None:
    po = tmp_path / "koachify.po"
    text = PO_FILE.read_text(encoding="utf-8")
    text = text.replace('msgstr "Cerca"', 'msgstr ""', 1)
    text = text.replace(
        'msgid "Contact: {name}"\nmsgstr "Contatto: {name}"', 'msgid "Contact: {name}"\nmsgstr "Contatto: {nome}"'
    )
    text = text.replace('msgid "Inbox"\n', '#, fuzzy\nmsgid "Inbox"\n')
    po.write_text(text, encoding="utf-8")
    found = "\n".join(problems(po))
    assert "untranslated: 'Search'" in found
    assert "placeholders differ: 'Contact: {name}'" in found
    assert "fuzzy: 'Inbox'" in found


PLURALS = [(0, "0 contatti", "0 contacts"), (1, "1 contatto", "1 contact"), (2, "2 contatti", "2 contacts")]


@pytest.mark.parametrize(("n", "italian", "english"), PLURALS)
def test_plural_forms(n: int, italian: str, english: str) -> None:
    assert ngettext("{n} contact", "{n} contacts", n).format(n=n) == english
    i18n.set_language("it")
    assert ngettext("{n} contact", "{n} contacts", n).format(n=n) == italian
    assert ngettext("{n} day", "{n} days", n).format(n=n) == italian.replace("contatt", "giorn")


def test_language_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    assert i18n.resolve_language("it") == "it"
    assert i18n.resolve_language("it_IT") == "it"
    assert i18n.resolve_language("") == "en"  # LANG=C.UTF-8 (conftest)
    monkeypatch.setenv("LANG", "it_IT.UTF-8")
    assert i18n.resolve_language("") == "it"
    assert i18n.resolve_language("en") == "en"  # the config wins over the locale
    monkeypatch.setenv("LC_MESSAGES", "de_DE.UTF-8")  # no German catalogue: English
    assert i18n.resolve_language(None) == "en"
    monkeypatch.setenv("LC_ALL", "it_IT.UTF-8")  # LC_ALL before LC_MESSAGES
    assert i18n.resolve_language(None) == "it"
    assert i18n.set_language("fr") == "en"


def test_idempotent_on_translated_text() -> None:
    i18n.set_language("it")
    assert _("Search") == "Cerca"
    assert _(_("Search")) == "Cerca"  # screens imported after the switch pass translated text again
    assert _("") == ""  # not the catalogue header


def test_cli_help_in_italian_under_the_locale() -> None:
    result = CliRunner().invoke(cli_app, ["--help"], env=IT_ENV)
    assert result.exit_code == 0
    assert "[OPZIONI] COMANDO [ARGOMENTI]..." in result.output
    assert "Opzioni:" in result.output and "Comandi:" in result.output
    assert "Mostra questo messaggio ed esce." in result.output
    assert "Aggiunge, elenca, mostra e modifica i contatti." in result.output
    assert "Show this message" not in result.output
    demo = CliRunner().invoke(cli_app, ["demo", "--help"], env=IT_ENV)
    assert "Riempie un database con dati dimostrativi" in demo.output  # a command's docstring
    assert "[predefinito: 200]" in demo.output  # Typer's own strings


def test_cli_language_from_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('language = "it"\n', encoding="utf-8")
    monkeypatch.setenv("KOACHIFY_CONFIG", str(config))
    result = CliRunner().invoke(cli_app, ["contacts", "--help"])
    assert "Aggiunge, elenca, mostra e modifica i contatti." in result.output
    result = CliRunner().invoke(cli_app, ["contacts", "lst"])
    assert result.exit_code == 2
    assert "Errore: Comando inesistente: 'lst'. Forse intendeva 'list'?" in result.output


def test_cli_english_by_default() -> None:
    result = CliRunner().invoke(cli_app, ["--help"])
    assert "Usage: root [OPTIONS] COMMAND [ARGS]..." in result.output
    assert "Add, list, show and edit contacts." in result.output


def test_cli_plural_summary(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    runner = CliRunner()
    runner.invoke(cli_app, ["contacts", "add", "--db", str(db), "--first-name", "Anna"], env=IT_ENV)
    result = runner.invoke(cli_app, ["contacts", "list", "--db", str(db)], env=IT_ENV)
    assert result.exit_code == 0, result.output
    assert "1 contatto" in result.stderr


async def test_tui_in_italian(store: Store, settings: Settings) -> None:
    from textual.widgets._footer import FooterKey

    settings.language = "it"
    store.create_contact(first_name="Anna", last_name="Bianchi")
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        labels: set[str] = set()
        for _ in range(100):  # the footer fills in a few frames after mount on a loaded machine
            await pilot.pause(0.05)
            labels = {key.description for key in app.screen.query(FooterKey)}
            if "Modifica" in labels:
                break
        assert {"Cerca", "Nuovo", "Modifica"} <= labels
        assert "Search" not in labels
        await pilot.pause(0.2)
        await pilot.press("d")
        await pilot.pause()
        assert "Spostare “Anna Bianchi” nel Cestino? (u annulla)" in str(
            app.screen.query_one("#confirm-question").content
        )
        await pilot.press("y")  # keys do not change with the language (y, not s for "sì")
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["Eliminato Anna Bianchi — u per annullare"]
        await pilot.press("2")
        for _ in range(100):
            await pilot.pause(0.05)
            labels = {key.description for key in app.screen.query(FooterKey)}
            if "Vinta" in labels:
                break
        assert labels >= {"Fase succ.", "Vinta", "Persa"}


async def test_palette_switch_saves_only_the_language(store: Store, tmp_path: Path) -> None:
    from textual.widgets._footer import FooterKey

    config = tmp_path / "settings.toml"
    config.write_text('theme = "nord"\nowner = "Giulia"\n\n[keymap]\n"contacts.search" = "ctrl+f"\n', encoding="utf-8")
    settings = Settings.load(config, db=None, locale="it_IT")
    settings.region = "CH"  # changed in this run only: must not reach the file
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Language: Italiano" in commands
        app.switch_language("it")
        labels: set[str] = set()
        for _ in range(100):
            await pilot.pause(0.05)
            labels = {key.description for key in app.screen.query(FooterKey)}
            if "Cerca" in labels:
                break
        assert "Cerca" in labels
    assert config.read_text(encoding="utf-8") == (
        'theme = "nord"\nowner = "Giulia"\nlanguage = "it"\n\n[keymap]\n"contacts.search" = "ctrl+f"\n'
    )
    assert Settings.load(config).language == "it"


def test_wheel_ships_the_compiled_catalogue(tmp_path: Path) -> None:
    """`pip install .` gets the .mo: setup.py compiles the .po into the wheel."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("koachify_tui-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "koachify_tui/locale/it/LC_MESSAGES/koachify.mo" in names
    import gettext

    with zipfile.ZipFile(wheel).open("koachify_tui/locale/it/LC_MESSAGES/koachify.mo") as mo:
        assert gettext.GNUTranslations(mo).gettext("Search") == "Cerca"


def test_dates_typed_in_the_locale_order_or_iso() -> None:
    from datetime import date

    from koachify_tui.store.dates import parse_date

    assert parse_date("03/04/2026", locale="it_IT") == date(2026, 4, 3)
    assert parse_date("03/04/2026", locale="en_US") == date(2026, 3, 4)  # month first in the US
    assert parse_date("2026-04-03", locale="en_US") == parse_date("2026-04-03", locale="it_IT") == date(2026, 4, 3)
    i18n.set_language("it")
    with pytest.raises(ValueError, match="data non valida '31/31/2026': usare gg/mm/aaaa o aaaa-mm-gg"):
        parse_date("31/31/2026", locale="it_IT")


def test_history_lines_in_the_current_language() -> None:
    from koachify_tui.history_text import history_text

    stored = "Opportunity created in Vendite Coaching at Nuovo contatto"
    assert history_text("created", stored) == stored
    assert history_text("status_change", "open → lost (Prezzo troppo alto)") == "open → lost (Prezzo troppo alto)"
    i18n.set_language("it")
    assert history_text("created", stored) == "Opportunità creata in Vendite Coaching, fase Nuovo contatto"
    assert history_text("status_change", "open → lost (Prezzo troppo alto)") == "aperta → persa (Prezzo troppo alto)"
    assert history_text("note", "Called back") == "Called back"  # what users typed stays as it is
