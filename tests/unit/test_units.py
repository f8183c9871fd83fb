"""Issue 12: every province before and after the 2025 reorganisation, with no setup file.

Units and communes (package + data/units/provinces.yaml), province detection from real
heading shapes, the date rule for former units, the directory of every current unit
(departments after Nghị định 150/2025, the other bodies real plans name, succession,
commune groups), and the leads of the real plans in ../shared/plans/real.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from bot.catalog import Catalog
from bot.domain.agencies import Directory, UnknownProvince, identify_province, load_provinces
from bot.domain.plans.parser import PlanProvinceMismatch, parse_plan
from bot.domain.plans.readers import read_plan
from bot.domain.units import REORGANISED_ON, THANH_PHO, load_units

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
REAL = ROOT.parent / "shared" / "plans" / "real"
CATALOG = Catalog(DATA)
UNITS = load_units(DATA)
PROVINCES = load_provinces(DATA)
CURRENT = sorted(UNITS.current)

# Nghị quyết 202/2025/QH15, Điều 1: the 23 merged units and what they were formed from.
MERGED = {
    "tuyen-quang": ("Tuyên Quang", "Hà Giang"),
    "lao-cai": ("Lào Cai", "Yên Bái"),
    "thai-nguyen": ("Thái Nguyên", "Bắc Kạn"),
    "phu-tho": ("Phú Thọ", "Vĩnh Phúc", "Hòa Bình"),
    "bac-ninh": ("Bắc Ninh", "Bắc Giang"),
    "hung-yen": ("Hưng Yên", "Thái Bình"),
    "hai-phong": ("Hải Phòng", "Hải Dương"),
    "ninh-binh": ("Ninh Bình", "Hà Nam", "Nam Định"),
    "quang-tri": ("Quảng Trị", "Quảng Bình"),
    "da-nang": ("Đà Nẵng", "Quảng Nam"),
    "quang-ngai": ("Quảng Ngãi", "Kon Tum"),
    "gia-lai": ("Gia Lai", "Bình Định"),
    "khanh-hoa": ("Khánh Hòa", "Ninh Thuận"),
    "lam-dong": ("Lâm Đồng", "Đắk Nông", "Bình Thuận"),
    "dak-lak": ("Đắk Lắk", "Phú Yên"),
    "ho-chi-minh": ("Hồ Chí Minh", "Bình Dương", "Bà Rịa - Vũng Tàu"),
    "dong-nai": ("Đồng Nai", "Bình Phước"),
    "tay-ninh": ("Tây Ninh", "Long An"),
    "can-tho": ("Cần Thơ", "Sóc Trăng", "Hậu Giang"),
    "vinh-long": ("Vĩnh Long", "Bến Tre", "Trà Vinh"),
    "dong-thap": ("Đồng Tháp", "Tiền Giang"),
    "ca-mau": ("Cà Mau", "Bạc Liêu"),
    "an-giang": ("An Giang", "Kiên Giang"),
}
FORMER = [(name, slug) for slug, names in MERGED.items() for name in names]


# ------------------------------------------------------------------------- units


def test_34_units_63_former_and_3321_communes():
    assert len(UNITS.current) == 34
    assert sum(len(UNITS.communes(s)) for s in UNITS.current) == 3321
    on_reorganisation = [f for f in UNITS.former.values() if f.until == REORGANISED_ON]
    assert len(on_reorganisation) == 63
    assert {f.successor for f in on_reorganisation} == set(UNITS.current)
    assert len(FORMER) == 52 and len(MERGED) == 23
    for name, slug in FORMER:
        assert UNITS.find(name).slug == slug, name
    cities = {s for s, u in UNITS.current.items() if u.kind == THANH_PHO}
    assert cities == {"ha-noi", "ho-chi-minh", "hai-phong", "da-nang", "can-tho", "hue"}
    assert UNITS.former["thua-thien-hue"].until == date(2025, 1, 1)


@pytest.mark.parametrize(
    ("value", "slug"),
    [
        ("ha-noi", "ha-noi"),
        ("Hà Nội", "ha-noi"),
        ("Đắk Lắk", "dak-lak"),
        ("dak lak", "dak-lak"),
        ("DAK-LAK", "dak-lak"),
        ("Tỉnh Đắk Lắk", "dak-lak"),
        ("TP HCM", "ho-chi-minh"),
        ("hcm", "ho-chi-minh"),
        ("Thành phố Hồ Chí Minh", "ho-chi-minh"),
        ("TP. Hồ Chí Minh", "ho-chi-minh"),
        ("Huế", "hue"),
        ("Thừa Thiên Huế", "hue"),
        ("quang-ngai", "quang-ngai"),
        ("binh-duong", "ho-chi-minh"),  # a former unit's slug: its successor
        ("Sóc Trăng", "can-tho"),
    ],
)
def test_a_province_in_any_spelling(value, slug):
    assert UNITS.find(value).slug == slug
    assert CATALOG.province(value).slug == slug


def test_an_unknown_province_has_suggestions_and_no_directory():
    assert UNITS.find("standard") is None
    assert [u.slug for u in UNITS.suggest("quang ngia")][0] == "quang-ngai"
    with pytest.raises(UnknownProvince) as raised:
        CATALOG.province("dak lac")
    assert raised.value.suggestions[0].slug == "dak-lak"
    with pytest.raises(UnknownProvince):
        CATALOG.directory("standard")


# --------------------------------------------------------------------- detection


def _upper(text: str) -> str:
    return unicodedata.normalize("NFC", text.upper())


def _headings(unit_name: str, word: str) -> list[str]:
    name = _upper(unit_name)
    word = _upper(word)
    half = len(name.split()) // 2 or 1
    first, rest = " ".join(name.split()[:half]), " ".join(name.split()[half:])
    return [
        f"ỦY BAN NHÂN DÂN\n{word} {name}\n-------\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        # broken over lines, as PDF text comes out
        f"|\nỦY BAN NHÂN\nDÂN\n{word} {first}\n{rest}\n--------\n|\nCỘNG HÒA XÃ\nHỘI CHỦ NGHĨA VIỆT NAM",
        # over table cells
        f"| ỦY BAN NHÂN DÂN | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM |\n| {word} {name} | Độc lập - Tự do - Hạnh phúc |",
        f"| ỦY BAN NHÂN DÂN |\n| {word} |\n| {name} |",
        f"QUYẾT ĐỊNH\nCHỦ TỊCH ỦY BAN NHÂN DÂN {word} {name}",
        f"Cơ quan ban hành: {word.title()} {unit_name}\nSố hiệu: 12/KH-UBND",
    ]


@pytest.mark.parametrize("slug", CURRENT)
def test_every_unit_is_detected_from_its_heading_in_both_forms(slug):
    unit = UNITS.current[slug]
    for word in ("TỈNH", "THÀNH PHỐ"):  # a tỉnh may become a city: both are read
        for text in _headings(unit.name, word):
            found = identify_province(text, PROVINCES)
            assert found is not None and found.slug == slug, (text, found)
    place = f"Số: 5/KH-UBND\n{unit.name}, ngày 20 tháng 11 năm 2025"
    assert identify_province(place, PROVINCES).slug == slug


@pytest.mark.parametrize(("name", "slug"), FORMER)
def test_a_pre_2025_plan_of_a_former_unit_goes_to_its_successor(name, slug):
    text = (
        f"ỦY BAN NHÂN DÂN\nTỈNH {_upper(name)}\n-------\nSố: 15/KH-UBND\n"
        f"{name}, ngày 10 tháng 3 năm 2024\nKẾ HOẠCH\nCải cách hành chính năm 2024\n"
        "I. NHIỆM VỤ\n1. Sở Nội vụ rà soát thủ tục trước ngày 30/6/2024.\n"
    )
    draft = parse_plan(
        read_plan(text.encode(), "kh.txt"), provinces=CATALOG.provinces, load_directory=CATALOG.directory
    )
    assert draft.meta.province == slug
    assert draft.meta.issuer is None or name.casefold() in draft.meta.issuer.casefold()


def test_a_2024_binh_dinh_plan_is_filed_under_gia_lai_with_its_own_issuer():
    text = (
        "ỦY BAN NHÂN DÂN\nTỈNH BÌNH ĐỊNH\n-------\nSố: 88/KH-UBND\nBình Định, ngày 5 tháng 2 năm 2024\n"
        "KẾ HOẠCH\nCải cách hành chính năm 2024\nI. NHIỆM VỤ\n"
        "1. Sở Kế hoạch và Đầu tư tỉnh Bình Định rà soát thủ tục trước ngày 30/6/2024.\n"
    )
    draft = parse_plan(
        read_plan(text.encode(), "kh.txt"), provinces=CATALOG.provinces, load_directory=CATALOG.directory
    )
    assert draft.meta.province == "gia-lai"
    assert draft.meta.issuer and "Bình Định" in draft.meta.issuer
    directory = CATALOG.directory("gia-lai")
    # The department the plan names, delivered today to its successor.
    found = directory.match("Sở Kế hoạch và Đầu tư tỉnh Bình Định")
    assert found.confident and found.agency.code == "so-ke-hoach-dau-tu"
    assert directory.current("so-ke-hoach-dau-tu").code == "so-tai-chinh"


@pytest.mark.parametrize(
    ("plan", "slug"),
    [
        ("binh-duong-6898-KH-UBND-2023.txt", "ho-chi-minh"),
        ("soc-trang-48-KH-UBND-2016.txt", "can-tho"),
        ("vinh-long-18-KH-UBND-2025.txt", "vinh-long"),
        ("tuyen-quang-232-KH-UBND-2022.txt", "tuyen-quang"),
        ("phu-tho-1782-KH-UBND-2021.txt", "phu-tho"),
    ],
)
def test_sample_plans_go_to_their_current_unit(plan, slug):
    document = read_plan((DATA / "plans" / plan).read_bytes(), plan)
    draft = parse_plan(document, provinces=CATALOG.provinces, load_directory=CATALOG.directory)
    assert draft.meta.province == slug


def test_a_plan_of_another_province_is_refused_unless_forced():
    text = "ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NGÃI\nKẾ HOẠCH\nI. NHIỆM VỤ\n1. Làm việc A trước ngày 30/6/2026.\n"
    document = read_plan(text.encode(), "kh.txt")
    with pytest.raises(PlanProvinceMismatch) as raised:
        parse_plan(document, provinces=CATALOG.provinces, load_directory=CATALOG.directory, province="phu-tho")
    assert "Quảng Ngãi" in raised.value.message and "Phú Thọ" in raised.value.message
    forced = parse_plan(
        document,
        provinces=CATALOG.provinces,
        load_directory=CATALOG.directory,
        province="phu-tho",
        force_province=True,
    )
    assert forced.meta.province == "phu-tho"
    same = parse_plan(document, provinces=CATALOG.provinces, load_directory=CATALOG.directory, province="quang-ngai")
    assert same.meta.province == "quang-ngai"


# --------------------------------------------------------------------- directories

STANDARD_12 = (
    "van-phong-ubnd-tinh",
    "so-noi-vu",
    "so-tu-phap",
    "so-tai-chinh",
    "so-cong-thuong",
    "so-nong-nghiep-moi-truong",
    "so-xay-dung",
    "so-khoa-hoc-cong-nghe",
    "so-giao-duc-dao-tao",
    "so-y-te",
    "so-van-hoa-the-thao-du-lich",
    "thanh-tra-tinh",
)


@pytest.mark.parametrize("slug", CURRENT)
def test_every_unit_has_a_directory_with_no_file(slug):
    d = CATALOG.directory(slug)
    assert d.province.slug == slug
    assert set(STANDARD_12) <= set(d.agencies)
    assert all(d.agencies[c].active for c in STANDARD_12 if c != "so-van-hoa-the-thao-du-lich")
    assert len(d.communes) == len(UNITS.communes(slug))
    # communes are not members: the commune-level group is one collective recipient
    assert d.groups["ubnd-cap-xa"].collective
    # every name and alias of an entry matches that entry confidently
    for entry in [*d.agencies.values(), *d.groups.values()]:
        for text in (entry.name, *entry.aliases):
            found = d.match(text)
            assert found.confident and (found.agency or found.group).code == entry.code, (slug, text, found)


BODIES = [
    ("Sở Ngoại vụ", "so-ngoai-vu"),
    ("Sở Dân tộc và Tôn giáo", "so-dan-toc-ton-giao"),
    ("Thanh tra tỉnh", "thanh-tra-tinh"),
    ("Văn phòng UBND tỉnh", "van-phong-ubnd-tinh"),
    ("Văn phòng Đoàn ĐBQH và HĐND tỉnh", "van-phong-doan-dbqh-hdnd-tinh"),
    ("Công an tỉnh", "cong-an-tinh"),
    ("Bộ CHQS tỉnh", "bo-chi-huy-quan-su-tinh"),
    ("Bộ Chỉ huy Quân sự tỉnh", "bo-chi-huy-quan-su-tinh"),
    ("Ban Chỉ huy Phòng thủ dân sự tỉnh", "ban-chi-huy-phong-thu-dan-su"),
    ("Ban Quản lý Khu kinh tế tỉnh", "ban-quan-ly-khu-kinh-te"),
    ("Ban Quản lý các khu công nghiệp", "ban-quan-ly-cac-khu-cong-nghiep"),
    ("Ban Quản lý Khu công nghệ cao", "ban-quan-ly-khu-cong-nghe-cao"),
    ("Báo và Phát thanh, Truyền hình tỉnh", "bao-va-phat-thanh-truyen-hinh-tinh"),
    ("Thuế tỉnh", "thue-tinh"),
    ("Kho bạc Nhà nước khu vực", "kho-bac-nha-nuoc-khu-vuc"),
    ("Ngân hàng Nhà nước chi nhánh khu vực", "ngan-hang-nha-nuoc-khu-vuc"),
    ("Ngân hàng nhà nước khu vực XII", "ngan-hang-nha-nuoc-khu-vuc"),
    ("Bảo hiểm xã hội tỉnh", "bao-hiem-xa-hoi-tinh"),
    ("Thống kê tỉnh", "thong-ke-tinh"),
    ("Trung tâm Phục vụ hành chính công tỉnh", "trung-tam-phuc-vu-hanh-chinh-cong"),
    ("Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh", "lien-hiep-cac-hoi-khkt-tinh"),
    ("Hiệp hội Doanh nghiệp tỉnh", "hiep-hoi-doanh-nghiep-tinh"),
    ("Ủy ban MTTQ Việt Nam tỉnh", "uy-ban-mttq-tinh"),
    ("Tỉnh đoàn", "tinh-doan"),
    ("Hội LHPN tỉnh", "hoi-lien-hiep-phu-nu-tinh"),
    ("Hội Nông dân tỉnh", "hoi-nong-dan-tinh"),
    ("Hội CCB tỉnh", "hoi-cuu-chien-binh-tinh"),
    ("Liên đoàn Lao động tỉnh", "lien-doan-lao-dong-tinh"),
    ("Trung tâm Chuyển đổi số tỉnh", "trung-tam-chuyen-doi-so-tinh"),
    ("Các trường đại học, cao đẳng trên địa bàn tỉnh", "truong-dai-hoc-cao-dang"),
    ("Các tổ chức chính trị - xã hội", "to-chuc-chinh-tri-xa-hoi"),
    ("Sở Nông nghiệp và Môi trường tỉnh Quảng Ngãi", "so-nong-nghiep-moi-truong"),
]


@pytest.mark.parametrize(("phrase", "code"), BODIES)
def test_bodies_after_the_reorganisation(phrase, code):
    found = CATALOG.directory("quang-ngai").match(phrase)
    assert found.confident and (found.agency or found.group).code == code, found


CITY_FORMS = [
    ("Công an Thành phố", "cong-an-tinh", "Công an thành phố"),
    ("Văn phòng UBND thành phố", "van-phong-ubnd-tinh", "Văn phòng Ủy ban nhân dân thành phố"),
    ("Các Sở, ban, ngành Thành phố", "so-ban-nganh", None),
    ("Sở, ban, ngành thuộc Ủy ban nhân dân Thành phố", "so-ban-nganh", None),
    ("UBND TP", "ubnd-tinh", "Ủy ban nhân dân thành phố"),
    ("Công an Thành phố Hồ Chí Minh", "cong-an-tinh", None),
    ("Trung tâm Chuyển đổi số Thành phố", "trung-tam-chuyen-doi-so-tinh", None),
    ("Viện Nghiên cứu phát triển Thành phố", "vien-nghien-cuu-phat-trien", None),  # its override file
    ("Sở Văn hóa và Thể thao", "so-van-hoa-the-thao", None),  # Nghị định 150: with a Sở Du lịch
    ("Sở Du lịch", "so-du-lich", None),
    ("Sở Quy hoạch - Kiến trúc", "so-quy-hoach-kien-truc", None),
    # a former unit's districts stay themselves: "thành phố" here is not the city
    ("UBND thành phố Thủ Dầu Một", "tp-thu-dau-mot", None),
    ("Sở Y tế tỉnh Bình Dương", "so-y-te", None),
]


@pytest.mark.parametrize(("phrase", "code", "shown"), CITY_FORMS)
def test_city_forms(phrase, code, shown):
    d = CATALOG.directory("ho-chi-minh")
    found = d.match(phrase)
    entry = found.agency or found.group
    assert found.confident and entry.code == code, found
    if shown:
        assert entry.name == shown


@pytest.mark.parametrize(
    ("code", "on", "current"),
    [
        ("so-ke-hoach-dau-tu", None, "so-tai-chinh"),
        ("so-thong-tin-truyen-thong", None, "so-khoa-hoc-cong-nghe"),
        ("so-tai-nguyen-moi-truong", None, "so-nong-nghiep-moi-truong"),
        ("so-nong-nghiep-phat-trien-nong-thon", None, "so-nong-nghiep-moi-truong"),
        ("so-giao-thong-van-tai", None, "so-xay-dung"),
        ("so-lao-dong-thuong-binh-xa-hoi", None, "so-noi-vu"),
        ("ban-dan-toc", None, "so-dan-toc-ton-giao"),
        ("cuc-thue-tinh", None, "thue-tinh"),
        ("kho-bac-nha-nuoc-tinh", None, "kho-bac-nha-nuoc-khu-vuc"),
        ("dai-phat-thanh-truyen-hinh-tinh", None, "bao-va-phat-thanh-truyen-hinh-tinh"),
        # before the hand-over the old body is still the one
        ("so-ke-hoach-dau-tu", date(2025, 2, 1), "so-ke-hoach-dau-tu"),
        ("cuc-thue-tinh", date(2025, 5, 1), "cuc-thue-tinh"),
    ],
)
def test_succession_with_dates(code, on, current):
    assert CATALOG.directory("dak-lak").current(code, on).code == current


COMMUNE_GROUPS = [
    "UBND cấp xã",
    "UBND các xã, phường",
    "UBND các phường xã",
    "UBND xã, phường, đặc khu",
    "Ủy ban nhân dân các xã, phường trên địa bàn tỉnh",
    "Ủy ban nhân dân các phường, xã, đặc khu",
    # district wordings of older plans: the communes, where no district is known
    "UBND các huyện, thị xã, thành phố",
    "UBND cấp huyện",
]


@pytest.mark.parametrize("phrase", COMMUNE_GROUPS)
def test_commune_groups_are_one_collective_recipient(phrase):
    d = CATALOG.directory("dong-thap")
    r = d.resolve(phrase)
    assert [g.code for g in r.groups] == ["ubnd-cap-xa"], r
    assert r.agencies == () and r.unknown == () and r.uncertain == ()
    assert "ubnd-cap-xa" in {a.code for a in CATALOG.recipients("dong-thap")}


def test_a_commune_is_bound_by_name_and_never_matched_in_plans():
    d = CATALOG.directory("ha-noi")
    first, score = d.search("UBND phường Hoàn Kiếm")[0]
    assert (first.code, first.name, first.kind) == ("phuong-hoan-kiem", "Ủy ban nhân dân phường Hoàn Kiếm", "commune")
    assert score >= 0.9
    assert d.search("phuong hoan kiem")[0][0].code == "phuong-hoan-kiem"
    assert d.current("phuong-hoan-kiem").code == "phuong-hoan-kiem"
    assert not d.match("UBND phường Hoàn Kiếm").confident  # plans: not a plan-matching key
    assert "phuong-hoan-kiem" in {a.code for a in CATALOG.recipients("ha-noi")}


# -------------------------------------------------------------- the real plans


def _real_leads() -> list[tuple[str, str, str]]:
    out = []
    for path in sorted(REAL.glob("*.expected.json")):
        expected = json.loads(path.read_text(encoding="utf-8"))
        for task in expected["tasks"]:
            for lead in task.get("lead") or []:
                out.append((path.name.removesuffix(".expected.json"), expected["plan"]["province"], lead))
    return out


REAL_LEADS = _real_leads() if REAL.is_dir() else []


@pytest.mark.skipif(not REAL_LEADS, reason="../shared/plans/real is not beside the checkout")
@pytest.mark.parametrize(("plan", "province", "lead"), sorted(set(REAL_LEADS)))
def test_every_lead_of_the_real_plans_is_known_in_its_province(plan, province, lead):
    d = CATALOG.directory(province)
    found = d.match(lead)
    assert found.confident, (plan, lead, found)


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/plans/real is not beside the checkout")
@pytest.mark.parametrize("path", sorted(REAL.glob("*.txt")) if REAL.is_dir() else [], ids=lambda p: p.stem)
def test_every_real_plan_is_filed_under_its_province(path):
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    text = path.read_text(encoding="utf-8")
    found = identify_province(text, PROVINCES)
    assert found is not None and found.slug == CATALOG.province(expected["plan"]["province"]).slug


def test_directory_load_by_former_name_gives_the_successor():
    d = Directory.load(DATA, "Bình Dương")
    assert d.province.slug == "ho-chi-minh"
    assert "tp-thu-dau-mot" in d.agencies  # binh-duong.yaml: its districts for older plans


def test_an_override_file_adds_nicknames_and_bodies(tmp_path):
    # The README's example: data/agencies/<slug>.yaml, optional, for what only one unit has.
    import re
    import shutil

    shutil.copytree(DATA / "agencies", tmp_path / "agencies")
    shutil.copytree(DATA / "units", tmp_path / "units")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(# data/agencies/quang-ngai.yaml.*?)```", readme, re.S)
    assert example is not None
    (tmp_path / "agencies" / "quang-ngai.yaml").write_text(example.group(1), encoding="utf-8")
    catalog = Catalog(tmp_path)
    d = catalog.directory("QNg")
    assert d.province.slug == "quang-ngai"
    assert d.match("BQL KKT Dung Quất").agency.code == "ban-quan-ly-khu-kinh-te-dung-quat"
    assert d.current("ban-dan-toc").code == "so-noi-vu"
    # a one-word nickname is for typing, never read from a header
    assert identify_province("Số: 12/KH-QNg", catalog.provinces) is None
