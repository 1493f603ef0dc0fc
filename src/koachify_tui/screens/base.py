"""What every Koachify screen and form reads from the running app: the store and the user's locale."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from ..app import KoachifyApp
    from ..store import Store


class AppAccess:
    """Mixin for screens and widgets of KoachifyApp: typed `store` and `locale` instead of a copy per class."""

    @property
    def koachify(self) -> KoachifyApp:
        return cast("KoachifyApp", cast(Any, self).app)

    @property
    def store(self) -> Store:
        return self.koachify.store

    @property
    def locale(self) -> str:
        return self.koachify.settings.locale
