"""Every refusal a reader can give, with the Vietnamese text shown to the user.

Kept in one place so the wording stays consistent and each code has one message.
"""

from __future__ import annotations

from bot.domain.plans.document import PlanReadError

_SEND_INSTEAD = "Vui lòng gửi tệp .docx, .pdf có lớp chữ, hoặc .txt (UTF-8)."


def empty() -> PlanReadError:
    return PlanReadError("empty", "Tệp rỗng, không có nội dung để đọc.")


def too_large(limit_bytes: int) -> PlanReadError:
    return PlanReadError(
        "too_large",
        f"Tệp quá lớn (giới hạn {_megabytes(limit_bytes)} MB). "
        "Vui lòng gửi bản nhỏ hơn, ví dụ tệp .docx thay cho bản PDF nhiều ảnh.",
    )


def _megabytes(n: int) -> str:
    """20 MB, 1,5 MB, 0,02 MB: Vietnamese decimal comma, at most two decimals."""
    mb = n / (1024 * 1024)
    if mb == int(mb):
        return str(int(mb))
    shown = f"{mb:.2f}".rstrip("0").rstrip(".")
    return "dưới 0,01" if shown == "0" else shown.replace(".", ",")


def unsupported(detail: str | None = None) -> PlanReadError:
    head = detail or "Không nhận dạng được định dạng tệp."
    return PlanReadError("unsupported", f"{head} {_SEND_INSTEAD}")


def legacy_encoding() -> PlanReadError:
    return PlanReadError(
        "unsupported",
        "Tệp văn bản dùng bảng mã cũ không đọc được (ví dụ TCVN3, VNI). "
        "Vui lòng mở tệp, lưu lại với bảng mã Unicode (UTF-8) rồi gửi lại, hoặc gửi tệp .docx.",
    )


def legacy_office() -> PlanReadError:
    return unsupported("Tệp Word/Excel đời cũ (.doc, .xls) hoặc bảng tính chưa được hỗ trợ.")


def corrupt_docx() -> PlanReadError:
    return PlanReadError(
        "corrupt", "Tệp .docx bị hỏng hoặc không đầy đủ, không mở được. Vui lòng lưu lại tệp trong Word rồi gửi lại."
    )


def corrupt_pdf() -> PlanReadError:
    return PlanReadError(
        "corrupt",
        "Tệp PDF bị hỏng hoặc được đặt mật khẩu, không mở được. Vui lòng gửi tệp .docx hoặc PDF không khóa.",
    )


def scanned_pdf(pages: list[int] | None = None) -> PlanReadError:
    """The whole PDF is a scan, or (with `pages`) some of its pages are."""
    advice = "Vui lòng gửi tệp .docx hoặc PDF xuất trực tiếp từ Word (có thể chọn, sao chép chữ)."
    if pages:
        shown = ", ".join(str(p) for p in pages[:5]) + (", …" if len(pages) > 5 else "")
        return PlanReadError(
            "scanned_pdf", f"Trang {shown} của tệp PDF là ảnh scan, không có lớp chữ để đọc. {advice}"
        )
    return PlanReadError("scanned_pdf", f"Tệp PDF là bản scan (ảnh chụp), không có lớp chữ để đọc. {advice}")


def no_text() -> PlanReadError:
    return PlanReadError(
        "no_text",
        "Tệp không chứa nội dung kế hoạch bằng tiếng Việt (hầu như không có chữ). Vui lòng kiểm tra lại tệp.",
    )


def too_complex(detail: str) -> PlanReadError:
    """A cap of readers/limits.py, or the parse worker's time or memory limit."""
    return PlanReadError(
        "too_complex",
        f"Tệp quá phức tạp để đọc ({detail}), không giống một kế hoạch thông thường; "
        "vui lòng kiểm tra lại tệp hoặc chia thành các tệp nhỏ hơn.",
    )


def unreadable() -> PlanReadError:
    """The reader failed in a way nobody foresaw (logged as a bug): still one sentence."""
    return PlanReadError(
        "unreadable",
        "Không đọc được tệp do cấu trúc bất thường; vui lòng lưu lại tệp dưới dạng .docx hoặc .txt rồi gửi lại.",
    )
