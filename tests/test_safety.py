"""Issue 14 beyond the CLI battery: the TUI's crash cases, the output sanitiser, private files, the config
writer, strict amounts and bounded dates."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from textual.geometry import Region
from textual.pilot import Pilot

from koachify_tui.app import KoachifyApp, make_app
from koachify_tui.config import Settings
from koachify_tui.safe_text import drop_unsafe, json_safe, visible
from koachify_tui.store import Store
from koachify_tui.store.dates import parse_date, parse_datetime
from koachify_tui.store.normalize import InvalidValue, parse_money

HOSTILE = "Eve\x1b]52;c;SGVsbG8=\x07\x1b[2J\x1b[31m\x9b1m\u202eX\x00"
SIZE = (120, 40)


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def messages(app: KoachifyApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


@pytest.fixture
def western() -> Iterator[None]:
    """The local time zone is New York's (31/12/9999 23:59 there is past datetime's end in UTC)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


# --- the sanitiser ---------------------------------------------------------------------------------------------
def test_visible_drop_and_json() -> None:
    assert visible(HOSTILE) == "Eve␛]52;c;SGVsbG8=␇␛[2J␛[31m\ufffd1mX␀"
    assert drop_unsafe(HOSTILE) == "Eve]52;c;SGVsbG8=[2J[31m1mX"
    assert visible("a\tb\nc") == "a\tb\nc" and visible("a\nb", keep_lines=False) == "a␊b"
    assert json_safe('"\x9b\u202e"') == '"\\u009b\\u202e"'


async def test_a_raw_escape_row_renders_without_escape(store: Store, settings: Settings) -> None:
    contact = store.create_contact(first_name="Eve", last_name="Raw")
    with store._write_engine.begin() as conn:  # another client of the database wrote it, bypassing the store
        conn.execute(text("UPDATE contact SET first_name = :v, company = :v WHERE id = :id"),
                     {"v": HOSTILE, "id": contact.id})  # fmt: skip
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rendered = []
        for widget in app.screen.query("*"):
            if widget.region.area:
                rendered += widget.render_lines(Region(0, 0, widget.region.width, widget.region.height))
        texts = "".join(segment.text for strip in rendered for segment in strip)
        assert "Eve]52" in texts  # the row is there, shown
        for bad in ("\x1b", "\x07", "\x9b", "\u202e", "\x00"):
            assert bad not in texts


def test_cli_tables_show_escapes_as_pictures(store: Store, db_path: Path) -> None:
    from typer.testing import CliRunner

    from koachify_tui.cli import app

    contact = store.create_contact(first_name="Eve")
    with store._write_engine.begin() as conn:
        conn.execute(text("UPDATE contact SET first_name = :v WHERE id = :id"), {"v": HOSTILE, "id": contact.id})
    for args in (["contacts", "list"], ["contacts", "show", str(contact.id)], ["contacts", "list", "--json"]):
        result = CliRunner().invoke(app, [*args, "--db", str(db_path)])
        assert result.exit_code == 0, result.stderr
        assert "\x1b" not in result.stdout and "\x9b" not in result.stdout and "\u202e" not in result.stdout
        assert "Eve" in result.stdout


# --- TUI crashes that are now messages ------------------------------------------------------------------------
@pytest.mark.parametrize("config", ['keymap = "x"\n', "locale = 7\n", 'keymap = "x"\nlocale = 7\ntheme = 3\n'])
async def test_bad_config_values_are_notified_not_fatal(store: Store, tmp_path: Path, config: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(config)
    settings = Settings.load(path, db=str(tmp_path / "koachify.db"))
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        notes = " ".join(messages(app))
        for key in ("keymap", "locale", "theme"):
            assert (key in notes) == (f"{key} =" in config)
        if "theme" in config:
            await pilot.press("2")  # the app works: switch screens
            await settle(pilot)
    assert app.return_code in (0, None) and app.crash is None


async def test_year_9999_appointment_in_a_western_time_zone(store: Store, settings: Settings, western: None) -> None:
    from textual.widgets import Input

    from koachify_tui.screens.contact_forms import ActivityForm

    contact = store.create_contact(first_name="Ada")
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ActivityForm) and form.kind == "appointment"
        form.query_one("#in-title", Input).value = "Fine del mondo"
        form.query_one("#in-starts", Input).value = "31/12/9999 23:59"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # still open, with the reason shown
        assert "2999" in " ".join(str(s.content) for s in form.query("Static"))
    assert app.crash is None and app.return_code in (0, None)
    assert store.timeline(contact.id or 0, limit=None) == []


async def test_stored_year_9999_renders_in_an_eastern_time_zone(store: Store, settings: Settings) -> None:
    contact = store.create_contact(first_name="Ada")
    with store._write_engine.begin() as conn:
        conn.execute(
            text("INSERT INTO appointment (contact_id, title, starts_at, location, notes, created_at, updated_at) "
                 "VALUES (:c, 'X', '9999-12-31 23:59:00.000000', '', '', '2026-01-01', '2026-01-01')"),
            {"c": contact.id},
        )  # fmt: skip
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    try:
        app = make_app(settings, store)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
        assert app.crash is None
    finally:
        os.environ.pop("TZ") if old is None else os.environ.__setitem__("TZ", old)
        time.tzset()


async def test_new_deal_on_a_pipeline_without_stages(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "board.db")
    with store._write_engine.begin() as conn:  # an old file, or another client, left the pipeline empty
        conn.execute(text("DELETE FROM stage"))
    app = make_app(Settings(db=str(tmp_path / "board.db"), locale="it_IT"), store, start="board")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert any("no stages" in m for m in messages(app))
        assert app.screen.__class__.__name__ == "BoardScreen"
    assert app.crash is None
    store.close()


async def test_a_failing_action_is_a_notification_and_a_crash_exits_1(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(self: KoachifyApp) -> None:
        raise InvalidValue("that cannot be")

    def crashes(self: KoachifyApp) -> None:
        raise ZeroDivisionError

    monkeypatch.setattr(KoachifyApp, "action_fails", fails, raising=False)
    monkeypatch.setattr(KoachifyApp, "action_crashes", crashes, raising=False)
    app = make_app(settings, store)
    with pytest.raises(ZeroDivisionError):
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await app.run_action("fails")
            await pilot.pause()
            assert "that cannot be" in messages(app)
            app.call_later(app.action_crashes)  # type: ignore[attr-defined]  # from the message loop, like a key
            await pilot.pause()
    assert app.return_code == 1 and isinstance(app.crash, ZeroDivisionError)
    assert app.crash_log is not None and "ZeroDivisionError" in app.crash_log.read_text()


# --- private files ----------------------------------------------------------------------------------------------
def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_wal_shm_config_and_data_dir_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    from koachify_tui.store.db import default_db_path

    path = default_db_path()
    store = Store.open(path)
    store.create_contact(first_name="Ada")
    assert mode(path.parent) == 0o700 and mode(path) == 0o600
    for suffix in ("-wal", "-shm"):
        assert mode(path.with_name(path.name + suffix)) == 0o600
    store.close()
    path.chmod(0o644)
    Store.open(path).close()
    assert mode(path) == 0o600 and "made" in capfd.readouterr().err
    settings = Settings(path=tmp_path / "conf" / "config.toml")
    settings.save("theme")
    assert mode(settings.path) == 0o600 and mode(settings.path.parent) == 0o700  # type: ignore[union-attr]


def test_a_read_only_file_stays_read_only(tmp_path: Path) -> None:
    Store.open(tmp_path / "ro.db").close()
    (tmp_path / "ro.db").chmod(0o444)
    try:
        Store.open(tmp_path / "ro.db").close()
        assert mode(tmp_path / "ro.db") == 0o400  # group/other bits removed, none added
    finally:
        (tmp_path / "ro.db").chmod(0o600)


# --- the config file ----------------------------------------------------------------------------------------------
def test_saving_a_setting_edits_only_that_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    path = tmp_path / "config.toml"
    original = '# my settings\nowner = "Giulia"  # me\nfuture_key = [1, 2]\n\n[keymap]\n"app.quit" = "ctrl+x"\n'
    path.write_text(original)
    path.chmod(0o600)
    settings = Settings.load(path)
    assert settings.locale == "de_DE" and settings.problems == []
    settings.theme = "nord"
    settings.save("theme")
    saved = path.read_text()
    assert saved.startswith(original.rstrip("\n").split("\n[keymap]")[0]) and "# me" in saved
    assert 'theme = "nord"' in saved and "future_key = [1, 2]" in saved and '"app.quit" = "ctrl+x"' in saved
    assert "locale" not in saved  # the detected locale is never written: LANG keeps working
    assert Settings.load(path).theme == "nord"


def test_a_broken_config_file_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("this is = = not toml")
    path.chmod(0o600)
    settings = Settings.load(path)
    assert settings.problems and "not valid TOML" in settings.problems[0]
    with pytest.raises(ValueError):
        settings.save("theme")
    assert path.read_text() == "this is = = not toml"


# --- amounts and dates ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "locale", "minor"),
    [
        ("1.500,50", "it_IT", 150050),
        ("1500,50", "it_IT", 150050),
        ("€ 1.500", "it_IT", 150000),
        ("1,500.50", "en_GB", 150050),
        ("1500.5", "en_GB", 150050),
        ("1500", "de_DE", 150000),
        (12, "en_GB", 1200),
        (0.5, "en_GB", 50),
    ],
)
def test_amounts_in_the_users_locale(value: str, locale: str, minor: int) -> None:
    assert parse_money(value, locale) == minor


@pytest.mark.parametrize(
    ("value", "locale"),
    [("1,500.50", "it_IT"), ("1.500,50", "en_GB"), ("15O0", "it_IT"), ("1e3", "en_GB"), ("0x10", "en_GB"),
     ("0.001", "en_GB"), ("1,234.567", "en_GB"), ("1e309", "en_GB"), (float("inf"), "en_GB"), (2**63, "en_GB"),
     (True, "en_GB")],
)  # fmt: skip
def test_amounts_refused(value: object, locale: str) -> None:
    with pytest.raises(InvalidValue):
        parse_money(value, locale)  # type: ignore[arg-type]


@pytest.mark.parametrize("tz", ["America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
@pytest.mark.parametrize("typed", ["31/12/9999 23:59", "01/01/0001", "9999-12-31", "31/12/3000", "+99999"])
def test_dates_bounded_in_every_time_zone(tz: str, typed: str) -> None:
    old = os.environ.get("TZ")
    os.environ["TZ"] = tz
    time.tzset()
    try:
        try:
            value = parse_datetime(typed, today=date(2026, 1, 1))
        except InvalidValue:
            return
        assert 1900 <= value.year <= 2999
        value.astimezone(__import__("datetime").UTC)
    finally:
        os.environ.pop("TZ") if old is None else os.environ.__setitem__("TZ", old)
        time.tzset()


def test_date_edges() -> None:
    assert parse_date("31/12/2999").year == 2999
    with pytest.raises(InvalidValue, match="between 1900 and 2999"):
        parse_date("31/12/9999")
