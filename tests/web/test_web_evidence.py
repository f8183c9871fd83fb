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
