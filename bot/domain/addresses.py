"""E-mail addresses typed by admins: checked strictly (RFC 5322 syntax, internationalised
domains allowed, no DNS lookup — the office network may have none) and normalised (the
domain lower-cased and IDNA-decoded), so one mailbox is one recipient."""

from __future__ import annotations

from enum import StrEnum

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


class EmailProblem(StrEnum):
    """Why setting or removing an address did nothing (bot/render says it in Vietnamese)."""

    INVALID = "invalid"  # not an address: detail = "<address> (<why>)"
    AMBIGUOUS = "ambiguous"  # several agencies match: detail = the query, candidates listed
    NOT_FOUND = "not_found"  # no agency matches in the admin's provinces: detail = the query
    MANY_PROVINCES = "many_provinces"  # a leader's address needs exactly one province
    NO_PROVINCE = "no_province"  # the admin administers no province
    NOT_IN_USE = "not_in_use"  # removing an address not used in the admin's provinces: detail = it
