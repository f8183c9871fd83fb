"""A plan file as the readers hand it to the parser: ordered paragraphs and tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Paragraph:
    text: str  # one logical paragraph: NFC, wrapped lines joined, spaces folded


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[str, ...], ...]  # cells cleaned like paragraphs; rows may differ in length


Block = Paragraph | Table


@dataclass(frozen=True)
class PlanDocument:
    name: str  # the file name as uploaded
    kind: Literal["txt", "docx", "pdf"]
    sha256: str  # of the raw bytes
    size: int  # bytes
    blocks: tuple[Block, ...]


class PlanReadError(Exception):
    """A file that cannot be read as a plan. `message` is Vietnamese and shown to users."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # stable, for tests and logs: "empty", "too_large", "binary", ...
        self.message = message

    def __reduce__(self) -> tuple[type[PlanReadError], tuple[str, str]]:
        return (PlanReadError, (self.code, self.message))  # crosses the parse worker's pipe
