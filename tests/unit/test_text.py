import unicodedata

import pytest

from bot.domain.text import clean, fold, new_style_tones, vn_key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("hóa", "hoá"),
        ("Thủy lợi", "thuỷ lợi"),
        ("khỏe", "khoẻ"),
        ("HÒA BÌNH", "hoà bình"),
        ("cá nhân hóa", unicodedata.normalize("NFD", "cá nhân hoá")),
        ("Tài nguyên\u00a0&  Môi trường", "tài nguyên & môi trường"),
        ("Sở\u200bTư pháp", "SởTư pháp"),
    ],
)
def test_same_key_for_spelling_variants(a, b):
    assert vn_key(a) == vn_key(b)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("quý", "quý"),  # 'qu' + 'y': the tone already sits on y, nothing moves
        ("hoàn thành", "hoàn thành"),  # closed syllable keeps its tone
        ("hóa đơn", "hoá đơn"),
        ("thủy", "thuỷ"),
        ("Quý II", "Quý II"),
    ],
)
def test_new_style_tones(text, expected):
    assert new_style_tones(text) == expected


def test_keys_differ_where_words_differ():
    assert vn_key("hoa") != vn_key("hóa")
    assert fold("hoa") == fold("hóa") == "hoa"
    assert fold("Đồng Tháp") == "dong thap"


def test_clean_keeps_diacritics_and_original_tone_placement():
    assert clean("  Hòa   Bình\u00a0") == "Hòa Bình"
    assert clean(unicodedata.normalize("NFD", "Phú Thọ")) == "Phú Thọ"
