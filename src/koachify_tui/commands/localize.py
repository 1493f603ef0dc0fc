"""The CLI in the user's language: `--help` texts are English msgids until the root command runs, then
translated in place on the click tree Typer built for this run (Typer builds a fresh tree per invocation)."""

from __future__ import annotations

import re
from typing import IO, Any

import typer.core
from typer import _click

from ..i18n import N_, _, resolve_language, set_language

# Typer's own help strings (it calls gettext on them: typer.core._ is pointed at ours below).
TYPER_MESSAGES = (
    N_("Options"),
    N_("Arguments"),
    N_("Commands"),
    N_("default: {default}"),
    N_("required"),
    N_("env var: {var}"),
    N_("Missing command."),
    N_("No such command {name!r}."),
    N_("Aborted!"),
    N_("Show this message and exit."),
    N_("Usage: "),
    N_("[OPTIONS]"),
    N_("COMMAND [ARGS]..."),
)


def choose_language() -> str:
    """`language` from the config file, else the locale environment, else English (the same rule as the TUI)."""
    from ..config import Settings

    return set_language(resolve_language(Settings.load().language))


class LocalizedFormatter(_click.HelpFormatter):
    """Click's help formatter with a translated "Usage:" prefix."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, _("Usage: ") if prefix is None else prefix)


class LocalizedContext(_click.Context):
    formatter_class = LocalizedFormatter


def _show_usage_error(self: _click.exceptions.UsageError, file: IO[Any] | None = None) -> None:
    """Click's UsageError.show with the hint and the "Error:" prefix translated (the detail stays Click's)."""
    file = file or _click._compat.get_text_stderr()
    color = None
    if self.ctx is not None:
        color = self.ctx.color
        hint = ""
        if self.ctx.command.get_help_option(self.ctx) is not None:
            hint = _("Try '{command} {option}' for help.").format(
                command=self.ctx.command_path, option=self.ctx.help_option_names[0]
            )
        _click.echo(f"{self.ctx.get_usage()}\n{hint}\n", file=file, color=color)
    # Typer appends "Did you mean 'list'?" to an unknown command's message: the one English part we can reach
    message = re.sub(
        r"Did you mean (.+)\?$",
        lambda match: _("Did you mean {suggestions}?").format(suggestions=match.group(1)),
        self.format_message(),
    )
    _click.echo(_("Error: {message}").format(message=message), file=file, color=color)


def localize(command: Any) -> None:
    """Translate the help of `command`, its options and every sub-command, in place."""
    typer.core._ = _  # type: ignore[attr-defined]
    _click.exceptions.UsageError.show = _show_usage_error  # type: ignore[method-assign]
    command.context_class = LocalizedContext
    if command.options_metavar == "[OPTIONS]":
        command.options_metavar = _("[OPTIONS]")
    if getattr(command, "subcommand_metavar", None) == "COMMAND [ARGS]...":
        command.subcommand_metavar = _("COMMAND [ARGS]...")
    for attr in ("help", "short_help", "epilog"):
        value = getattr(command, attr, None)
        if isinstance(value, str):
            setattr(command, attr, _(value))
    params = list(command.params)
    help_option = command.get_help_option(LocalizedContext(command))
    if help_option is not None:
        params.append(help_option)
    for param in params:
        value = getattr(param, "help", None)
        if isinstance(value, str):
            param.help = _(value)
    for sub in getattr(command, "commands", {}).values():
        localize(sub)
