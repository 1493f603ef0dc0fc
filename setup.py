"""Build hook: the wheel ships the compiled Italian catalogue (.mo), built from the .po in the repository.

Everything else about the package is in pyproject.toml. A source checkout needs no .mo: koachify_tui.i18n
compiles the .po in memory when there is none (that is what `pip install -e .` and the tests use)."""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithCatalogues(build_py):
    """build_py, then every locale/*/LC_MESSAGES/*.po compiled to a .mo next to it in the build tree."""

    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in Path("src/koachify_tui/locale").glob("*/LC_MESSAGES/*.po"):
            target = Path(self.build_lib) / po.relative_to("src").with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source, target.open("wb") as out:
                write_mo(out, read_po(source))


setup(cmdclass={"build_py": BuildPyWithCatalogues})
