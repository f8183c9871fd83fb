"""Agency directories per province, loaded once from the data folder and cached.

The one place that knows where directory files live; the CLI and the bot both use it.
"""

from __future__ import annotations

from collections.abc import Mapping
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

    def province_admins(
        self, by_value: Mapping[str, frozenset[int]]
    ) -> tuple[dict[str, frozenset[int]], list[str]]:
        """PROVINCE_ADMINS keyed by current slugs (it may name a province by slug or by
        name, in any spelling; a former unit counts for its successor), and the values
        that name no province."""
        by_slug: dict[str, frozenset[int]] = {}
        unknown: list[str] = []
        for value, ids in by_value.items():
            try:
                slug = self.province(value).slug
            except UnknownProvince:
                unknown.append(value)
                continue
            by_slug[slug] = by_slug.get(slug, frozenset()) | ids
        return by_slug, unknown

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
