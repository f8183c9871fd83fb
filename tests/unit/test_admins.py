"""Installation-wide and per-province admins: parsing PROVINCE_ADMINS and who administers what."""

from __future__ import annotations

import pytest

from bot.config import SettingsError, load_settings
from bot.domain.admins import Admins, parse_province_admins


def test_parse_province_admins_accepts_spaces_new_lines_and_repeats() -> None:
    assert parse_province_admins(" Phu-Tho : 111, 222 ;\nvinh-long:333;phu-tho:444; ") == {
        "phu-tho": frozenset({111, 222, 444}),
        "vinh-long": frozenset({333}),
    }
    assert parse_province_admins("") == {}


@pytest.mark.parametrize("bad", ["phu-tho", "phu-tho:", ":111", "phu-tho:abc", "phu-tho:111 222"])
def test_parse_province_admins_refuses_what_it_cannot_read(bad: str) -> None:
    with pytest.raises(ValueError, match="tỉnh:id,id"):
        parse_province_admins(bad)


def test_who_administers_what() -> None:
    admins = Admins(everywhere=frozenset({1}), by_province={"phu-tho": frozenset({2}), "vinh-long": frozenset({3})})
    assert admins.of("phu-tho") == {1, 2}
    assert admins.of("soc-trang") == {1}  # a province with no admins of its own: the operators
    assert admins.administers(1, "vinh-long") and admins.administers(2, "phu-tho")
    assert not admins.administers(2, "vinh-long") and not admins.administers(None, "phu-tho")
    assert 3 in admins and 4 not in admins
    assert admins.all == {1, 2, 3}


def test_settings_read_province_admins_and_name_the_variable_when_wrong() -> None:
    settings = load_settings(admin_ids="1", province_admins="phu-tho:2,3")
    assert settings.admins.of("phu-tho") == {1, 2, 3}
    with pytest.raises(SettingsError) as error:
        load_settings(province_admins="phu-tho=2")
    assert str(error.value).startswith("Cấu hình sai: PROVINCE_ADMINS — không hiểu 'phu-tho=2'")


def test_province_admins_name_a_province_by_slug_or_by_name() -> None:
    from pathlib import Path

    from bot.catalog import Catalog

    catalog = Catalog(Path(__file__).resolve().parents[2] / "data")
    parsed = parse_province_admins("Đắk Lắk:1; dak-lak:2; TP HCM:3; binh-duong:4; ha-tay:5")
    by_slug, unknown = catalog.province_admins(parsed)
    # A former unit (Bình Dương) counts for its successor; a name nobody uses is reported.
    assert by_slug == {"dak-lak": frozenset({1, 2}), "ho-chi-minh": frozenset({3, 4})}
    assert unknown == ["ha-tay"]
