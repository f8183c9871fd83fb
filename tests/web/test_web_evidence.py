"""A focal point attaches an evidence file to an item from the console: the file is kept on
Telegram (sendDocument to the uploader's private chat gives it a file id) and recorded by
the status service as a file answering a reminder is; CSRF, size limit and roles are
checked (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db.models import Agency, DueItem, StatusChange
from bot.domain.status import Status
from tests.web.conftest import ADMIN, FOCAL, LEADER, OTHER_FOCAL, STRANGER, Web

PDF = b"%PDF-1.4\n% minh chung\n" + b"x" * 2000


async def _item(web: Web, code: str) -> DueItem:
    async with web.world.sm() as s:
        item = await s.scalar(
            select(DueItem).join(Agency, DueItem.agency_id == Agency.id)
            .where(Agency.code == code, DueItem.cancelled.is_(False), DueItem.status == Status.PENDING)
            .order_by(DueItem.due_on.desc(), DueItem.id).limit(1)
        )
        assert item is not None
        return item


async def _changes(web: Web, item_id: int) -> list[StatusChange]:
    async with web.world.sm() as s:
        return list(await s.scalars(select(StatusChange).where(StatusChange.due_item_id == item_id).order_by(StatusChange.id)))


def _documents(web: Web) -> list:  # noqa: ANN202
    return [m for m in web.world.server.sent if m.method == "sendDocument"]


@pytest.mark.parametrize("bot_settings_overrides", [{"max_upload_mb": 1}])
async def test_a_focal_point_attaches_evidence_and_others_cannot(web: Web) -> None:
    item = await _item(web, "so-tu-phap")
    focal = await web.sign_in(FOCAL)
    page = await focal.get(f"/web/tasks/{item.task_id}")
    assert f'id="evidence-{item.id}"' in page.text and 'enctype="multipart/form-data"' in page.text
    assert "Tệp minh chứng (tối đa 1 MB)" in page.text
    csrf = web.csrf(page.text)
    before = len(await _changes(web, item.id))

    sent = await focal.post(
        f"/web/items/{item.id}/evidence", data={"csrf": csrf, "note": "Quyết định số 12/QĐ-UBND"},
        files={"file": ("quyet-dinh-12.pdf", PDF, "application/pdf")},
    )
    assert sent.status_code == 303, sent.text
    [document] = _documents(web)
    assert document.chat_id == FOCAL and document.document == PDF and document.filename == "quyet-dinh-12.pdf"
    assert f"NV{item.task_id}" in (document.caption or "") and "Sở Tư pháp" in (document.caption or "")
    changes = await _changes(web, item.id)
    assert len(changes) == before + 1
    change = changes[-1]
    assert change.channel == "web" and change.actor_tg_id == FOCAL and change.new_status is Status.PENDING
    assert change.evidence is not None
    [stored] = change.evidence["files"]
    assert stored["file_id"] == document.file_id and stored["name"] == "quyet-dinh-12.pdf" and stored["size"] == len(PDF)
    assert stored["by_tg_id"] == FOCAL
    assert "Quyết định số 12/QĐ-UBND" in (change.note or "") and "quyet-dinh-12.pdf" in (change.note or "")
    shown = await focal.get(f"/web/tasks/{item.task_id}")
    assert "quyet-dinh-12.pdf" in shown.text  # the history lists the file

    # No CSRF token, no file, a file over the limit: nothing sent, nothing recorded.
    forged = await focal.post(f"/web/items/{item.id}/evidence", files={"file": ("a.pdf", PDF, "application/pdf")})
    assert forged.status_code == 403
    empty = await focal.post(f"/web/items/{item.id}/evidence", data={"csrf": csrf})
    assert empty.status_code == 422 and "Hãy chọn một tệp minh chứng." in empty.text
    big = await focal.post(
        f"/web/items/{item.id}/evidence", data={"csrf": csrf},
        files={"file": ("lon.pdf", b"x" * (1024 * 1024 + 1), "application/pdf")},
    )
    assert big.status_code == 413 and "tối đa 1 MB" in big.text
    huge = await focal.post(
        f"/web/items/{item.id}/evidence", data={"csrf": csrf},
        files={"file": ("qua-lon.pdf", b"x" * (2 * 1024 * 1024), "application/pdf")},
    )
    assert huge.status_code == 413
    assert len(_documents(web)) == 1 and len(await _changes(web, item.id)) == before + 1

    # Another agency's focal point, a leader (decides, does not report), a stranger: refused.
    for who in (OTHER_FOCAL, LEADER, STRANGER):
        client = await web.sign_in(who)
        token = web.csrf((await client.get("/web/tasks")).text) if who != STRANGER else "x"
        refused = await client.post(
            f"/web/items/{item.id}/evidence", data={"csrf": token}, files={"file": ("b.pdf", PDF, "application/pdf")},
        )
        assert refused.status_code in (403, 404), who
    assert len(_documents(web)) == 1 and len(await _changes(web, item.id)) == before + 1

    # An admin may attach evidence too (as /dathan-style corrections, on behalf of the agency).
    admin = await web.sign_in(ADMIN)
    token = web.csrf((await admin.get(f"/web/tasks/{item.task_id}")).text)
    done = await admin.post(
        f"/web/items/{item.id}/evidence", data={"csrf": token}, files={"file": ("bien-ban.docx", b"PK\x03\x04 docx", "application/octet-stream")},
    )
    assert done.status_code == 303 and len(_documents(web)) == 2


PT_ADMIN, VL_ADMIN = 700_001, 700_002  # Phú Thọ's and Vĩnh Long's own admins
TWO_PROVINCES = {"province": None, "admin_ids": str(ADMIN), "province_admins": f"phu-tho:{PT_ADMIN}; vinh-long:{VL_ADMIN}"}
NAME = "Biên bản họp số 3 (Đợt 1).pdf"


@pytest.mark.parametrize("bot_settings_overrides", [TWO_PROVINCES])
async def test_evidence_files_download_for_whoever_may_see_the_item(web: Web) -> None:
    """The history links each file; the download fetches it through the bot (getFile and the
    Bot API's file URL: the fake server here) and streams it named as sent — to the province's
    admins and leaders and the item's own focal point; another agency's focal point, another
    province's admin and a stranger are refused."""
    from bot.db import agencies as agencies_repo
    from tests.fakebot.server import DOWNLOAD

    async with web.world.sm() as s, s.begin():  # a second province on the installation
        await agencies_repo.get_or_create_province(s, slug="vinh-long", name="Vĩnh Long", timezone="Asia/Ho_Chi_Minh")
    for user_id, name in ((PT_ADMIN, "Quản trị Phú Thọ"), (VL_ADMIN, "Quản trị Vĩnh Long")):
        web.world.server.add_user(user_id, name)
    item = await _item(web, "so-tu-phap")
    focal = await web.sign_in(FOCAL)
    page = await focal.get(f"/web/tasks/{item.task_id}")
    sent = await focal.post(
        f"/web/items/{item.id}/evidence", data={"csrf": web.csrf(page.text)},
        files={"file": (NAME, PDF, "application/pdf")},
    )
    assert sent.status_code == 303, sent.text
    change = (await _changes(web, item.id))[-1]
    url = f"/web/evidence/{change.id}/0"
    shown = await focal.get(f"/web/tasks/{item.task_id}")
    assert f'href="{url}"' in shown.text  # the history links the file

    downloads = lambda: [r for r in web.world.server.requests if r.method == DOWNLOAD]  # noqa: E731
    for who in (FOCAL, ADMIN, PT_ADMIN, LEADER):
        client = web.sessions.get(who) or await web.sign_in(who)
        got = await client.get(url)
        assert got.status_code == 200, who
        assert got.content == PDF and got.headers["content-type"] == "application/pdf"
        disposition = got.headers["content-disposition"]
        assert disposition.startswith("attachment; ")
        # RFC 5987: the UTF-8 name percent-encoded, an ASCII fallback beside it.
        assert "filename*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n%20h%E1%BB%8Dp%20s%E1%BB%91%203%20%28%C4%90%E1%BB%A3t%201%29.pdf" in disposition
        assert 'filename="Bien ban hop so 3 (Dot 1).pdf"' in disposition
        assert got.headers["x-content-type-options"] == "nosniff" and got.headers["cache-control"] == "no-store"
    assert len(downloads()) == 4  # fetched from the Bot API each time, never kept on disk
    leader_page = await web.sessions[LEADER].get(f"/web/tasks/{item.task_id}")
    assert f'href="{url}"' in leader_page.text
    agency_page = await web.sessions[ADMIN].get(f"/web/agencies/{item.agency_id}")
    assert f'href="{url}"' in agency_page.text  # the agency's recent history links it too
    trail = await focal.get(f"/web/history?task={item.task_id}")
    assert f'href="{url}"' in trail.text  # and the History page

    # Another agency's focal point, another province's admin: as if there were no such file;
    # a stranger: refused; a file index or a history row without a file: not found.
    for who, code in ((OTHER_FOCAL, 404), (VL_ADMIN, 404), (STRANGER, 403)):
        client = await web.sign_in(who)
        refused = await client.get(url)
        assert refused.status_code == code, who
        assert PDF not in refused.content
    admin = web.sessions[ADMIN]
    assert (await admin.get(f"/web/evidence/{change.id}/1")).status_code == 404
    plain = (await _changes(web, item.id))[0]
    assert plain.evidence is None and (await admin.get(f"/web/evidence/{plain.id}/0")).status_code == 404
    assert (await web.client.get(url)).status_code == 303  # not signed in: to the sign-in page
    assert len(downloads()) == 4

    # Telegram cannot give the file now (getFile fails, then the download itself): said in
    # Vietnamese, nothing half-sent.
    web.world.server.fail_next("getFile", 400, description="Bad Request: wrong file_id or the file is temporarily unavailable")
    lost = await admin.get(url)
    assert lost.status_code == 502 and "Không tải được tệp minh chứng từ Telegram" in lost.text
    web.world.server._files_by_path.clear()  # noqa: SLF001 - the file URL now answers 404
    gone = await admin.get(url)
    assert gone.status_code == 502 and PDF not in gone.content
