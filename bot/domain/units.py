"""Vietnam's provincial-level units and their communes, before and after 1 July 2025.

The 34 current units and their 3,321 communes (xã, phường, đặc khu) come from the
`vietnam-provinces` package (no dependencies, data dated in `__data_version__`). What
no package has — the 63 former units with the unit that succeeded each and the date,
and nicknames — is in data/units/provinces.yaml, with its sources in its header.

Slugs are stable ASCII: the package's codenames with "-" ("ha-noi", "ho-chi-minh",
"hue", "dak-lak"). Everything here is pure and deterministic.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from vietnam_provinces import Province as _PackageProvince
from vietnam_provinces import VietNamDivisionType, Ward

from bot.domain.text import fold

UNITS_FILE = Path("units") / "provinces.yaml"
REORGANISED_ON = date(2025, 7, 1)
TINH, THANH_PHO = "tỉnh", "thành phố"


@dataclass(frozen=True)
class Commune:
    code: int
    slug: str  # "phuong-hoan-kiem", unique in its unit
    name: str  # "Phường Hoàn Kiếm"
    kind: str  # "xã" | "phường" | "đặc khu"


@dataclass(frozen=True)
class Unit:
    """A provincial-level unit as it stands today."""

    slug: str
    name: str  # "Hồ Chí Minh", "Quảng Ngãi": without "tỉnh"/"thành phố"
    kind: str  # TINH | THANH_PHO (centrally-run city)
    code: int  # the package's (GSO) code
    aliases: tuple[str, ...] = ()
    city_since: date | None = None  # a former tỉnh that became a centrally-run city

    @property
    def full_name(self) -> str:
        return f"{'Thành phố' if self.kind == THANH_PHO else 'Tỉnh'} {self.name}"


@dataclass(frozen=True)
class FormerUnit:
    """A provincial-level unit as it stood before it was reorganised."""

    slug: str
    name: str
    kind: str
    successor: str  # current unit slug
    until: date  # the successor took over on this day


_PREFIX = re.compile(r"^(?:uy ban nhan dan|ubnd)?\s*(?:tinh|thanh pho|tp)\s+")


def _key(text: str) -> str:
    """"Tỉnh Đắk Lắk", "dak-lak", "ĐẮK LẮK", "TP. Hồ Chí Minh" → "daklak", "hochiminh"."""
    folded = " ".join(re.findall(r"[a-z0-9]+", fold(text)))
    return _PREFIX.sub("", folded).replace(" ", "")


class Units:
    """Current units, former units and communes, with name lookup in any spelling."""

    def __init__(
        self,
        current: Mapping[str, Unit],
        former: Mapping[str, FormerUnit],
        communes: Mapping[str, tuple[Commune, ...]],
    ) -> None:
        self.current = dict(current)
        self.former = dict(former)
        self._communes = dict(communes)
        keys: dict[str, str] = {}
        for unit in self.current.values():
            for text in (unit.slug, unit.name, unit.full_name, *unit.aliases):
                keys.setdefault(_key(text), unit.slug)
        for old in self.former.values():  # a current name wins over a former one
            for text in (old.slug, old.name):
                keys.setdefault(_key(text), old.successor)
        self._keys = keys

    def communes(self, slug: str) -> tuple[Commune, ...]:
        return self._communes.get(slug, ())

    def formers_of(self, slug: str) -> list[FormerUnit]:
        """The former units `slug` succeeded (itself included when it kept its name)."""
        return [f for f in self.former.values() if f.successor == slug]

    def find(self, text: str) -> Unit | None:
        """The current unit a slug or name means ("Đắk Lắk", "dak lak", "TP HCM",
        "binh-duong" → Hồ Chí Minh), or None."""
        slug = self._keys.get(_key(text or ""))
        return self.current[slug] if slug else None

    def suggest(self, text: str, limit: int = 3) -> list[Unit]:
        """Closest current units to an unknown value, best first."""
        key = _key(text or "")
        found = difflib.get_close_matches(key, list(self._keys), n=limit * 3, cutoff=0.5)
        out: dict[str, Unit] = {}
        for match in found:
            out.setdefault(self._keys[match], self.current[self._keys[match]])
        return list(out.values())[:limit]


def _slug(codename: str) -> str:
    return codename.replace("_", "-")


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def _date(value: Any, default: date) -> date:
    if value is None:
        return default
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@lru_cache(maxsize=8)
def load_units(data_dir: Path) -> Units:
    """Units from the package plus data/units/provinces.yaml (the data folder or its parent)."""
    folder = Path(data_dir)
    path = folder / UNITS_FILE
    agency_dir = folder / "agencies"
    if not path.is_file() and (folder.parent / UNITS_FILE).is_file():
        path = folder.parent / UNITS_FILE  # given data/agencies/
        agency_dir = folder
    data = _read(path)
    reorganised = _date(data.get("reorganised_on"), REORGANISED_ON)
    aliases: dict[str, list[str]] = {
        str(k): [str(v) for v in (vs or [])] for k, vs in (data.get("aliases") or {}).items()
    }
    cities = {str(c["slug"]): _date(c.get("since"), reorganised) for c in data.get("became_city") or []}

    current: dict[str, Unit] = {}
    by_code: dict[int, str] = {}
    for item in _PackageProvince.iter_all():
        slug = _slug(item.codename)
        # nicknames from the unit's optional override file (data/agencies/<slug>.yaml)
        own = _read(agency_dir / f"{slug}.yaml").get("aliases") or []
        aliases.setdefault(slug, []).extend(str(a) for a in own)
        is_city = item.division_type == VietNamDivisionType.THANH_PHO_TRUNG_UONG or slug in cities
        name = re.sub(r"^(?:Thành phố|Tỉnh)\s+", "", item.name)
        current[slug] = Unit(
            slug=slug,
            name=name,
            kind=THANH_PHO if is_city else TINH,
            code=int(item.code),
            aliases=tuple(aliases.get(slug, ())),
            city_since=cities.get(slug),
        )
        by_code[int(item.code)] = slug

    former: dict[str, FormerUnit] = {}
    for entry in data.get("former") or []:
        successor = str(entry["successor"])
        if successor not in current:
            raise ValueError(f"{path}: former unit {entry['slug']!r}: unknown successor {successor!r}")
        former[str(entry["slug"])] = FormerUnit(
            slug=str(entry["slug"]),
            name=str(entry["name"]),
            kind=str(entry.get("kind") or TINH),
            successor=successor,
            until=_date(entry.get("until"), reorganised),
        )

    communes: dict[str, list[Commune]] = {slug: [] for slug in current}
    seen: dict[str, set[str]] = {slug: set() for slug in current}
    for ward in Ward.iter_all():
        unit = by_code[int(ward.province_code)]
        slug = _slug(ward.codename)
        if slug in seen[unit]:
            slug = f"{slug}-{int(ward.code)}"
        seen[unit].add(slug)
        communes[unit].append(Commune(int(ward.code), slug, ward.name, ward.division_type.value))
    return Units(current, former, {k: tuple(v) for k, v in communes.items()})
