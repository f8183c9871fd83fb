"""Agency directories per province, loaded once from the data folder and cached.

The one place that knows where directory files live; the CLI and the bot both use it.
"""

from __future__ import annotations

from functools import cache, cached_property
from pathlib import Path

from bot.domain.agencies import Agency, Directory, Province, load_provinces


class Catalog:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._load = cache(lambda slug: Directory.load(data_dir / "agencies", slug))

    @cached_property
    def provinces(self) -> list[Province]:
        return load_provinces(self.data_dir / "agencies")

    def directory(self, slug: str) -> Directory:
        return self._load(slug)

    def recipients(self, slug: str) -> list[Agency]:
        """Agencies a task can be assigned to: the directory's agencies plus every group
        with no known members in this province, which is reminded as one collective."""
        directory = self.directory(slug)
        collectives = [
            Agency(code=g.code, name=g.name, kind="group", aliases=tuple(g.aliases))
            for g in directory.groups.values()
            if not g.members
        ]
        return [*directory.agencies.values(), *collectives]

    def names(self, slug: str) -> dict[str, str]:
        return {a.code: a.name for a in self.recipients(slug)}
