"""The signed link of an e-mailed reminder opens that agency's console page without a
password, and nothing else (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select

from bot.db.models import Agency, WebSession
from bot.services.links import link_key, make_token
from tests.web.conftest import Web, later


async def _agency(web: Web, code: str) -> Agency:
    async with web.world.sm() as s:
        return (await s.scalars(select(Agency).where(Agency.code == code))).one()


async def _sessions(web: Web) -> int:
    async with web.world.sm() as s:
        return int(await s.scalar(select(func.count()).select_from(WebSession)) or 0)


async def test_an_emailed_link_opens_the_agency_page_and_only_it(web: Web) -> None:
    stp, other = await _agency(web, "so-tu-phap"), await _agency(web, "so-xay-dung")
    key = link_key(web.world.app.bot_data.settings.telegram_bot_token)  # type: ignore[attr-defined]
    token = make_token(agency_id=stp.id, key=key, expires=web.clock.now + timedelta(days=14))
    client = httpx.AsyncClient(transport=web.client._transport, base_url="http://testserver")  # noqa: SLF001
    try:
        page = await client.get(f"/web/a/{token}")
        assert page.status_code == 200 and stp.name in page.text and "Mở trang cơ quan" in page.text
        assert await _sessions(web) == 0  # a GET (a mail scanner) opens nothing
        opened = await client.post(f"/web/a/{token}")
        assert opened.status_code == 303 and opened.headers["location"] == f"/web/agencies/{stp.id}"
        assert "httponly" in opened.headers["set-cookie"].lower()
        own = await client.get(f"/web/agencies/{stp.id}")
        assert own.status_code == 200 and stp.name in own.text
        assert (await client.get(f"/web/agencies/{other.id}")).status_code in (403, 404)
        assert (await client.get("/web/plans")).status_code in (403, 404)  # not an admin's page
        # A forged, altered or expired link opens nothing.
        forged = token[:-1] + ("0" if token[-1] != "0" else "1")
        altered = f"{other.id}.{token.split('.', 1)[1]}"
        for bad in (forged, altered, "abc"):
            assert (await web.client.post(f"/web/a/{bad}")).status_code == 400
        later(web.clock, days=15)
        assert (await web.client.get(f"/web/a/{token}")).status_code == 400
        assert (await web.client.post(f"/web/a/{token}")).status_code == 400
        assert await _sessions(web) == 1
    finally:
        await client.aclose()
