"""E-mail addresses typed by admins: checked strictly (RFC 5322 syntax, internationalised
domains allowed, no DNS lookup — the office network may have none) and normalised (the
domain lower-cased and IDNA-decoded), so one mailbox is one recipient."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class InvalidAddress(ValueError):
    """Not an e-mail address; the message says why (in English, from email-validator)."""


def normalize_email(text: str) -> str:
    """The address in its normal form, or InvalidAddress.

    >>> normalize_email("  VanThu@SoTuPhap.PhuTho.GOV.VN ")
    'VanThu@sotuphap.phutho.gov.vn'
    """
    try:
        found = validate_email(text.strip(), check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise InvalidAddress(str(exc)) from exc
    return str(found.normalized)
