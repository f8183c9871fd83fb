"""The console's settings page: e-mail addresses (the /email service), an agency's Zalo link
code (the /zalo service) and the holiday calendar (the /ngaynghi, /ngaylambu service), for
province admins only — every other role and a stranger are refused, on the page and on each
form, and nothing is written (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from bot.db.models import Agency, CalendarDay, Recipient, ZaloLinkCode
from bot.domain.calendar import DayKind
from bot.domain.kinds import ChatRole
from bot.services import recipients
from bot.services.zalo import code_hash
from tests.web.conftest import ADMIN, FOCAL, LEADER, OTHER_FOCAL, STRANGER, Web


async def _counts(web: Web) -> tuple[int, int, int]:
    async with web.world.sm() as s:
        return (
            int(await s.scalar(select(func.count()).select_from(Recipient).where(Recipient.active)) or 0),
            int(await s.scalar(select(func.count()).select_from(ZaloLinkCode)) or 0),
            int(await s.scalar(select(func.count()).select_from(CalendarDay)) or 0),
        )


async def _province_id(web: Web) -> int:
    async with web.world.sm() as s:
        found = await s.scalar(select(Agency.province_id).where(Agency.code == "so-tu-phap"))
        assert found is not None
        return int(found)


async def _agency_id(web: Web, code: str) -> int:
    async with web.world.sm() as s:
        found = await s.scalar(select(Agency.id).where(Agency.code == code))
        assert found is not None
        return int(found)


async def test_admin_sets_emails_zalo_code_and_calendar(web: Web) -> None:
    stp = await _agency_id(web, "so-tu-phap")
    admin = await web.sign_in(ADMIN)
    tasks = await admin.get("/web/tasks")
    assert 'href="/web/settings"' in tasks.text
    page = await admin.get("/web/settings")
    assert page.status_code == 200
    for form in ("agency-email-form", "leader-email-form", "zalo-form", "calendar-form"):
        assert f'id="{form}"' in page.text
    csrf = web.csrf(page.text)

    bad = await admin.post("/web/settings/email", data={"csrf": csrf, "action": "agency", "agency": stp, "address": "khong-hop-le"})
    assert bad.status_code == 422 and "Địa chỉ thư không hợp lệ" in bad.text
    saved = await admin.post("/web/settings/email", data={"csrf": csrf, "action": "agency", "agency": stp, "address": "vanthu@stp.phutho.gov.vn"})
    assert saved.status_code == 303
    leader = await admin.post("/web/settings/email", data={"csrf": csrf, "action": "leader", "address": "pct@phutho.gov.vn", "name": "Nguyễn Văn A"})
    assert leader.status_code == 303
    async with web.world.sm() as s:
        rows = {r.address: r for r in await s.scalars(select(Recipient).where(Recipient.active))}
    assert rows["vanthu@stp.phutho.gov.vn"].agency_id == stp and rows["vanthu@stp.phutho.gov.vn"].role is ChatRole.AGENCY
    assert rows["pct@phutho.gov.vn"].role is ChatRole.LEADERS and rows["pct@phutho.gov.vn"].person_name == "Nguyễn Văn A"
    listing = await admin.get(saved.headers["location"])
    assert "Đã lưu địa chỉ e-mail." in listing.text and "vanthu@stp.phutho.gov.vn" in listing.text and "Lãnh đạo Nguyễn Văn A" in listing.text
    assert "nhắc việc: khi chưa có nhóm Telegram" in listing.text and 'id="email-always"' in listing.text
    # "luôn" (as `/email … luon`): reminded by mail even while the agency has its Telegram group;
    # saving again without it goes back to "only while there is no group".
    always = await admin.post(
        "/web/settings/email", data={"csrf": csrf, "action": "agency", "agency": stp, "address": "vanthu@stp.phutho.gov.vn", "always": "1"},
    )
    assert always.status_code == 303
    async with web.world.sm() as s:
        assert await s.scalar(select(Recipient.always_remind).where(Recipient.address == "vanthu@stp.phutho.gov.vn")) is True
    shown = (await admin.get("/web/settings")).text.split('id="email-list"', 1)[1].split("</table>", 1)[0]
    assert "nhắc việc: <b>luôn</b> (cả khi có nhóm Telegram)" in shown and "khi chưa có nhóm Telegram" not in shown
    async with web.world.sm() as s:  # the same listing as /email's, from the same service
        [line] = [e for e in await recipients.list_emails(s, province_ids=[await _province_id(web)]) if e.agency_name]
    assert line.always
    [reply] = await web.world.send(ADMIN, ADMIN, "/email")
    assert "vanthu@stp.phutho.gov.vn — nhắc việc: luôn" in (reply.text or "")
    back = await admin.post("/web/settings/email", data={"csrf": csrf, "action": "agency", "agency": stp, "address": "vanthu@stp.phutho.gov.vn"})
    assert back.status_code == 303
    async with web.world.sm() as s:
        assert await s.scalar(select(Recipient.always_remind).where(Recipient.address == "vanthu@stp.phutho.gov.vn")) is False
    removed = await admin.post("/web/settings/email", data={"csrf": csrf, "action": "remove", "address": "pct@phutho.gov.vn"})
    assert removed.status_code == 303
    async with web.world.sm() as s:
        assert not await s.scalar(select(Recipient.active).where(Recipient.address == "pct@phutho.gov.vn"))

    zalo = await admin.post("/web/settings/zalo", data={"csrf": csrf, "agency": stp})
    assert zalo.status_code == 200 and 'id="zalo-code"' in zalo.text and "Sở Tư pháp" in zalo.text
    code = re.search(r"/lienket ([A-Z0-9-]+)", zalo.text)
    assert code is not None
    async with web.world.sm() as s:
        row = await s.scalar(select(ZaloLinkCode).where(ZaloLinkCode.code_hash == code_hash(code.group(1))))
    assert row is not None and row.agency_id == stp and row.created_by_tg_id == ADMIN and row.used_at is None

    off = await admin.post("/web/settings/calendar", data={"csrf": csrf, "action": "off", "day": "05/09/2025", "note": "nghỉ bù"})
    assert off.status_code == 303
    worked = await admin.post("/web/settings/calendar", data={"csrf": csrf, "action": "workday", "day": "06/09/2025"})
    assert worked.status_code == 303
    sunday = await admin.post("/web/settings/calendar", data={"csrf": csrf, "action": "off", "day": "07/09/2025"})
    assert sunday.status_code == 422 and "vốn đã là ngày nghỉ" in sunday.text  # the service's own refusal
    nonsense = await admin.post("/web/settings/calendar", data={"csrf": csrf, "action": "off", "day": "31/02/2025"})
    assert nonsense.status_code == 422
    async with web.world.sm() as s:
        days = {d.day: d for d in await s.scalars(select(CalendarDay))}
    assert set(days) == {date(2025, 9, 5), date(2025, 9, 6)}
    assert days[date(2025, 9, 5)].kind is DayKind.DAY_OFF and days[date(2025, 9, 5)].note == "nghỉ bù"
    assert days[date(2025, 9, 6)].kind is DayKind.WORKING_DAY and days[date(2025, 9, 6)].actor_tg_id == ADMIN
    shown = await admin.get("/web/settings")
    assert "05/09/2025" in shown.text and "ngày làm bù" in shown.text
    gone = await admin.post("/web/settings/calendar", data={"csrf": csrf, "action": "remove", "day": "06/09/2025"})
    assert gone.status_code == 303
    forged = await admin.post("/web/settings/calendar", data={"action": "off", "day": "08/09/2025"})
    assert forged.status_code == 403
    assert await _counts(web) == (1, 1, 1)


async def test_only_province_admins_reach_the_settings(web: Web) -> None:
    stp = await _agency_id(web, "so-tu-phap")
    before = await _counts(web)
    forms = [
        ("/web/settings/email", {"action": "agency", "agency": stp, "address": "x@phutho.gov.vn"}),
        ("/web/settings/email", {"action": "leader", "address": "y@phutho.gov.vn"}),
        ("/web/settings/zalo", {"agency": stp}),
        ("/web/settings/calendar", {"action": "off", "day": "05/09/2025"}),
    ]
    for who in (LEADER, FOCAL, OTHER_FOCAL, STRANGER):
        client = await web.sign_in(who)
        page = await client.get("/web/settings")
        assert page.status_code == 403, who
        assert 'href="/web/settings"' not in (await client.get("/web/tasks")).text
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        for path, data in forms:
            refused = await client.post(path, data={**data, "csrf": token.group(1) if token else ""})
            assert refused.status_code == 403, (who, path)
    assert await _counts(web) == before
