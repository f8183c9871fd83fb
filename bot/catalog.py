"""Agency directories per province, loaded once from the data folder and cached.

The one place that knows where directory files live; the CLI and the bot both use it.
"""

from __future__ import annotations

from functools import cache, cached_property
from pathlib import Path

from bot.domain.agencies import Agency, Directory, Province, UnknownProvince, load_provinces
from bot.domain.units import Units, load_units


class Catalog:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._load = cache(lambda slug: Directory.load(data_dir / "agencies", slug))

    @cached_property
    def provinces(self) -> list[Province]:
        return load_provinces(self.data_dir / "agencies")

    @cached_property
    def units(self) -> Units:
        return load_units(self.data_dir / "agencies")

    def directory(self, slug: str) -> Directory:
        """The directory of a current unit (slug or name in any spelling); raises
        UnknownProvince (with `suggestions`) for anything else."""
        unit = self.units.find(slug)
        return self._load(unit.slug if unit else slug)

    def province(self, value: str) -> Province:
        """The current unit `value` names ("dak-lak", "Đắk Lắk", "TP HCM", "binh-duong")."""
        unit = self.units.find(value)
        if unit is not None:
            return self.directory(unit.slug).province
        for province in self.provinces:  # custom province files
            if value in (province.slug, province.name):
                return province
        raise UnknownProvince(
            value, tuple(self.directory(u.slug).province for u in self.units.suggest(value))
        )

    def recipients(self, slug: str) -> list[Agency]:
        """Agencies a task can be assigned to: the directory's agencies plus every group
        with no known members in this province, which is reminded as one collective,
        plus the communes (so that a chat can bind one by name)."""
        directory = self.directory(slug)
        collectives = [
            Agency(code=g.code, name=g.name, kind="group", aliases=tuple(g.aliases))
            for g in directory.groups.values()
            if not g.members
        ]
        return [*directory.agencies.values(), *collectives, *directory.communes.values()]

    def names(self, slug: str) -> dict[str, str]:
        return {a.code: a.name for a in self.recipients(slug)}
