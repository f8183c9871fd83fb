"""The `nhacviec parse --json` shape: a stable interface for scripts and other systems."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.plans.draft import PlanDraft


def draft_to_json(draft: PlanDraft, agency_names: Mapping[str, str]) -> dict[str, Any]:
    """Agency codes become canonical names; dates become ISO strings."""
    meta = draft.meta

    def names(codes: tuple[str, ...]) -> list[str]:
        return [agency_names.get(code, code) for code in codes]

    return {
        "plan": {
            "number": meta.number,
            "title": meta.title,
            "issuer": meta.issuer,
            "issued_on": meta.issued_on.isoformat() if meta.issued_on else None,
            "signer": meta.signer,
            "period": list(meta.period) if meta.period else None,
            "province": meta.province,
        },
        "tasks": [
            {
                "ref": task.ref,
                "section": task.section,
                "title": task.title,
                "product": task.product,
                "lead": names(task.lead),
                "support": names(task.support),
                "deadline": {
                    "text": task.deadline.text,
                    "kind": task.deadline.kind.value,
                    "every": task.deadline.every.value if task.deadline.every else None,
                    "dates": [d.isoformat() for d in task.due_dates],
                    "assumed": task.assumed,
                },
                "needs_review": [reason.value for reason in task.needs_review],
            }
            for task in draft.tasks
        ],
        "warnings": list(draft.warnings),
    }
