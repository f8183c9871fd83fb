"""The button codec (bot.domain.callbacks): every kind round-trips within 64 bytes, and data
the bot cannot have written — forged, truncated, padded, out of range — decodes to None."""

from __future__ import annotations

import pytest

from bot.domain import callbacks as cb
from bot.domain.callbacks import (
    AgencyProgress,
    BindAgency,
    CancelPrompt,
    CardAction,
    CardChoice,
    ConfirmOption,
    DecideBinding,
    DecideExtension,
    DecideUpload,
    InviteAgency,
    LinkZalo,
    OpenCard,
    Page,
    PageKind,
    Undo,
    decode,
    encode,
    matches,
    parse,
)

BIG = cb.MAX_ID

VALUES = [
    (OpenCard(7), "u:7"),
    (CardChoice(12, 0, CardAction.DONE), "st:12:0:d"),
    (CardChoice(12, 345, CardAction.P75), "st:12:345:p75"),
    (CardChoice(BIG, BIG, CardAction.BACK), f"st:{BIG}:{BIG}:k"),
    (Undo(99), "ud:99"),
    (ConfirmOption(5, 0), "rc:5:0"),
    (ConfirmOption(5, 29), "rc:5:29"),
    (ConfirmOption(5, None), "rc:5:x"),
    (CancelPrompt(3), "pc:3"),
    (DecideExtension(4, True), "gh:4:ok"),
    (DecideExtension(4, False), "gh:4:no"),
    (BindAgency(8), "dk:8"),
    (InviteAgency(8), "mo:8"),
    (LinkZalo(8), "zl:8"),
    (DecideBinding(True, 9), "rq:ok:9"),
    (DecideBinding(False, 9), "rq:no:9"),
    (DecideUpload(True, 10), "up:ok:10"),
    (DecideUpload(False, 10), "up:no:10"),
    (AgencyProgress(11), "td:11"),
    (Page(PageKind.TIENDO, 0, 0), "pg:t:0:0"),
    (Page(PageKind.SAPDEN, 30, 9999), "pg:s:30:9999"),
    (cb.FollowUpload(False, 10), "uf:td:10"),
    (cb.FollowUpload(True, 10), "uf:all:10"),
    (cb.ConfirmUnknown(cb.UnknownAction.ALL_DONE), "uk:a"),
    (cb.ConfirmUnknown(cb.UnknownAction.PICK), "uk:p"),
    (cb.ConfirmUnknown(cb.UnknownAction.NOT_DONE), "uk:n"),
    (cb.ConfirmUnknown(cb.UnknownAction.BACK), "uk:b"),
    (cb.ConfirmUnknown(cb.UnknownAction.ONE_DONE, BIG), f"uk:d:{BIG}"),
]


@pytest.mark.parametrize(("value", "data"), VALUES, ids=[d for _, d in VALUES])
def test_every_kind_round_trips_as_the_old_wire_format(value: cb.Callback, data: str) -> None:
    assert encode(value) == data
    assert decode(data) == value
    assert len(data.encode()) <= 64
    assert matches(type(value))(data)
    assert parse(data, type(value)) == value


def test_the_largest_values_fit_in_64_bytes() -> None:
    for value in [
        CardChoice(BIG, BIG, CardAction.P25), ConfirmOption(BIG, 99), Page(PageKind.QUAHAN, BIG, 9999),
        DecideExtension(BIG, False), DecideBinding(False, BIG), DecideUpload(True, BIG),
    ]:
        assert len(encode(value).encode()) <= 64


FORGED = [
    None, 123, b"u:1", "", "u", "u:", ":1", "u:0", "u:-1", "u:+1", "u: 1", "u:1 ", "u:007", "u:1.0",
    "u:１", "u:٣", f"u:{BIG + 1}", "u:99999999999", "u:1:2", "x:1", "U:1",
    "st:1:2", "st:1:2:z", "st:1:2:p10", "st:1:-2:d", "st:1:2:d:e", "st:0:2:d",
    "ud:", "ud:abc", "rc:1", "rc:1:100", "rc:1:y", "rc:1:01", "rc:1:-1",
    "pc:1:2", "gh:1:yes", "gh:1:OK", "gh:ok:1", "rq:1:ok", "rq:maybe:1", "up:ok", "up:ok:1:1",
    "td:", "pg:x:1:1", "pg:t:1:10000", "pg:t:1", "pg:t:-1:0",
    "u:" + "1" * 70, "dk:1\n", "mo:1\x00",
]


@pytest.mark.parametrize("data", FORGED, ids=[repr(d) for d in FORGED])
def test_forged_or_garbage_data_decodes_to_nothing(data: object) -> None:
    assert decode(data) is None
    assert not any(matches(kind)(data) for kind in cb.KINDS)


def test_parse_refuses_another_kind() -> None:
    with pytest.raises(ValueError):
        parse("u:1", Undo)
    assert not matches(Undo)("u:1")


def test_write_buttons_are_the_ones_that_change_something() -> None:
    writes = {kind.PREFIX for kind in cb.WRITE_KINDS}
    assert writes == {"u", "st", "ud", "rc", "pc", "gh", "dk", "mo", "uk"}
    assert isinstance(decode("gh:1:ok"), cb.WRITE_KINDS)
    assert not isinstance(decode("pg:t:0:1"), cb.WRITE_KINDS)
