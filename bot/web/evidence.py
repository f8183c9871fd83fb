"""Evidence files, downloaded from the console.

A file a focal point sent (in the group, on Zalo's side of the bot, or through the console) is
kept on Telegram: the history row stores its file id. The console fetches it through the
bot (getFile, then the Bot API's file URL — the configured TELEGRAM_API_URL, a self-hosted
Bot API server or the tests' fake) and streams it to the browser, named as it was sent.

Who may download: whoever may see the item — admins and leaders of the item's province, a
focal point only the items of their own agency (and of the agencies merged into it). Other
provinces and strangers are refused, whatever id they type.
"""

from __future__ import annotations

import logging
import mimetypes
import unicodedata
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from telegram.error import TelegramError

from bot.db import web_queries as q
from bot.db.session import AsyncSession
from bot.render import console as console_texts
from bot.web.access import Viewer

if TYPE_CHECKING:
    from bot.web.app import Kit

log = logging.getLogger("nhacviec.web")
CHUNK = 64 * 1024
FETCH_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def evidence_files(evidence: Any) -> list[dict[str, Any]]:
    """The files of a history row's evidence (none when it has no file)."""
    files = (evidence or {}).get("files") if isinstance(evidence, dict) else None
    return [f for f in files or [] if isinstance(f, dict)]


def ascii_name(name: str) -> str:
    """The filename for clients that ignore `filename*`: accents dropped, anything outside
    printable ASCII (and quotes, backslashes, path separators) replaced."""
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    safe = "".join(c if 32 <= ord(c) < 127 and c not in '"\\/;' else "_" for c in plain).strip()
    return safe or "minh-chung"


def attachment_headers(name: str) -> dict[str, str]:
    """Content-Disposition for a download named `name` (RFC 6266, RFC 5987's `filename*` for
    the UTF-8 name, an ASCII fallback beside it)."""
    name = name.replace("/", "_").replace("\\", "_").strip() or "minh-chung"
    return {
        "Content-Disposition": f"attachment; filename=\"{ascii_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }


def media_type(file: dict[str, Any]) -> str:
    stored = str(file.get("mime_type") or "")
    if "/" in stored and "\n" not in stored and "\r" not in stored:
        return stored
    guessed, _ = mimetypes.guess_type(str(file.get("name") or ""))
    return guessed or "application/octet-stream"


def may_download(viewer: Viewer, *, province_id: int, agency_id: int) -> bool:
    """The task's rule: the province's admins and leaders, a focal point their agency's items."""
    if province_id not in viewer.province_ids:
        return False
    allowed = viewer.agency_ids(province_id)
    return allowed is None or agency_id in allowed


def routes(kit: Kit) -> list[Route]:
    ctx = kit.ctx
    refuse = kit.refuse

    def failed(request: Request, viewer: Viewer) -> Response:
        return kit.page(request, "error.html", status=502, viewer=viewer, code=502, message=console_texts.EVIDENCE_DOWNLOAD_FAILED)

    async def download(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        found = await q.evidence_of_change(session, change_id=int(request.path_params["change_id"]))
        if found is None or not may_download(viewer, province_id=found.province_id, agency_id=found.agency_id):
            return refuse(request, viewer, 404)
        files = evidence_files(found.evidence)
        index = int(request.path_params["index"])
        if index >= len(files) or not files[index].get("file_id"):
            return refuse(request, viewer, 404)
        file = files[index]
        try:
            remote = await ctx.bot.get_file(str(file["file_id"]))
        except TelegramError as exc:
            log.warning("Console: getFile for history row %s failed: %s", found.change_id, exc)
            return failed(request, viewer)
        url = str(remote.file_path or "")
        if not url.startswith(("http://", "https://")):  # a local Bot API server's path: not served here
            log.warning("Console: history row %s: no file URL to fetch", found.change_id)
            return failed(request, viewer)
        client = httpx.AsyncClient(timeout=FETCH_TIMEOUT)
        try:
            upstream = await client.send(client.build_request("GET", url), stream=True)
        except httpx.HTTPError as exc:
            await client.aclose()
            log.warning("Console: fetching the file of history row %s failed: %s", found.change_id, type(exc).__name__)
            return failed(request, viewer)
        if upstream.status_code != 200:
            await upstream.aclose()
            await client.aclose()
            log.warning("Console: fetching the file of history row %s: HTTP %s", found.change_id, upstream.status_code)
            return failed(request, viewer)

        async def body() -> AsyncIterator[bytes]:
            try:
                async for chunk in upstream.aiter_bytes(CHUNK):
                    yield chunk
            finally:
                await upstream.aclose()
                await client.aclose()

        headers = attachment_headers(str(file.get("name") or console_texts.EVIDENCE_FILE_NAME))
        length = upstream.headers.get("content-length")
        if length and length.isdigit():
            headers["Content-Length"] = length
        return StreamingResponse(body(), media_type=media_type(file), headers=headers)

    return [Route("/web/evidence/{change_id:int}/{index:int}", kit.signed_in(download))]
