"""Who administers what: installation-wide admins and per-province admins.

A national installation serves several provinces; the standing office of one province
must not bind, import, date or decide anything in another. ADMIN_IDS are the
installation's operators (every province); PROVINCE_ADMINS names each province's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Admins:
    everywhere: frozenset[int] = frozenset()
    by_province: Mapping[str, frozenset[int]] = field(default_factory=dict)  # province slug → ids

    def __contains__(self, user_id: object) -> bool:
        """An admin of at least one province (or of all)."""
        return user_id in self.all

    @property
    def all(self) -> frozenset[int]:
        return self.everywhere.union(*self.by_province.values())

    def administers(self, user_id: int | None, province_slug: str) -> bool:
        return user_id is not None and user_id in self.of(province_slug)

    def of(self, province_slug: str) -> frozenset[int]:
        """Who is told about and may decide for this province."""
        return self.everywhere | self.by_province.get(province_slug, frozenset())


def parse_province_admins(text: str) -> dict[str, frozenset[int]]:
    """'phu-tho:111,222; vinh-long:333' → {'phu-tho': {111, 222}, 'vinh-long': {333}}.

    Provinces are separated by ';' or new lines, ids by ','. Raises ValueError with a
    Vietnamese message (shown as the setting's error) on anything else.
    """
    result: dict[str, set[int]] = {}
    for entry in text.replace("\n", ";").split(";"):
        entry = entry.strip()
        if not entry:
            continue
        slug, colon, ids = entry.partition(":")
        slug = slug.strip().lower()
        parts = [p.strip() for p in ids.split(",") if p.strip()]
        if not colon or not slug or not parts or not all(p.lstrip("-").isdigit() for p in parts):
            raise ValueError(
                f"không hiểu {entry!r}: cần tỉnh:id,id; tỉnh:id (vd. phu-tho:12345,67890;vinh-long:13579)"
            )
        result.setdefault(slug, set()).update(int(p) for p in parts)
    return {slug: frozenset(ids) for slug, ids in result.items()}
