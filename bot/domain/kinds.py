"""The named kinds and states the database stores (StrEnums, stored as their values).

They are vocabulary of the domain — who leads a task, what a prompt waits for, where a
message is in its delivery — so they live here, pure; bot.db.models maps them to columns.
"""

from __future__ import annotations

from enum import StrEnum


class LinkRole(StrEnum):
    LEAD = "lead"  # cơ quan chủ trì: reminded, owns the status
    SUPPORT = "support"  # cơ quan phối hợp: informed


class ChatRole(StrEnum):
    AGENCY = "agency"  # an agency's group or its focal point's private chat
    LEADERS = "leaders"  # provincial leaders: digests, extension approvals


class DueOrigin(StrEnum):
    IMPORT = "import"  # from the plan's deadline; re-imports reconcile these
    ADMIN = "admin"  # set by an admin (e.g. the date of an event deadline); imports leave it


class FlowState(StrEnum):
    PENDING = "pending"  # waiting for a person's decision
    DONE = "done"  # confirmed / approved / used
    CANCELLED = "cancelled"  # refused, cancelled or superseded


class OutboxKind(StrEnum):
    REMINDER = "reminder"  # an agency chat's consolidated daily reminder
    ESCALATION = "escalation"  # overdue too long: the leaders' chats, once per item
    UNREACHABLE = "unreachable"  # to one admin: a chat stopped accepting messages (part = Chat.id)
    DIGEST = "digest"  # a leaders' digest or monthly report to a recipient (e-mail: with files)
    NOTICE = "notice"  # anything else one-off (a confirmation, a decision) to a recipient
    # An extension request's post to a leaders' chat or an admin, with the decision buttons
    # (part = the request's id): its sent message id is what the outcome later rewrites.
    EXTENSION = "extension"
    # A rewrite of a message sent before (edit_of: an outbox row, or edit_message_id: a
    # message sent directly); part = the row's id, or minus the message id (one rewrite each).
    EDIT = "edit"


class OutboxStatus(StrEnum):
    PENDING = "pending"  # to send once next_attempt_at has come
    CLAIMED = "claimed"  # reserved by a sender (claimed_by) until lease_until; not sent yet
    SENDING = "sending"  # the request to Telegram is under way
    SENT = "sent"  # Telegram accepted it: tg_message_id is set
    UNCERTAIN = "uncertain"  # may or may not have arrived (timeout, crash while sending)
    FAILED = "failed"  # will not be delivered (error says why)


class PromptKind(StrEnum):
    CONFIRM = "confirm"  # the bot was not sure what a reply meant: options to choose from
    NOTE = "note"  # waiting for one line explaining a blocker
    EXTENSION = "extension"  # waiting for the proposed date (and the reason)


class ExtensionState(StrEnum):
    PENDING = "pending"  # waiting for the leaders
    APPROVED = "approved"  # đã gia hạn: due_on moved
    REJECTED = "rejected"  # bị từ chối: the previous status is back, due date unchanged
    CANCELLED = "cancelled"  # withdrawn (undo) or overtaken by another update


class DigestRunStatus(StrEnum):
    PENDING = "pending"  # to send (again) from part `parts_sent`
    SENDING = "sending"  # a process is sending it until lease_until
    SENT = "sent"
    UNCERTAIN = "uncertain"  # a part may or may not have arrived: not resent automatically
    FAILED = "failed"  # the chat is unreachable, or it kept failing


class HoldKind(StrEnum):
    SNOOZE = "snooze"  # one due item not reminded until a date ("tạm dừng nhắc NV3 đến 15/1")
    PAUSE = "pause"  # an agency's reminders paused (/tamdung, an agency on leave) until /tieptuc or a date
    WAIVE = "waive"  # "không thực hiện": an admin dropped the item, with a reason


class BindDecision(StrEnum):
    """What became of an admin's press on a binding request (the text follows this, never the button)."""

    APPROVED = "approved"  # the group is bound to the agency
    REJECTED = "rejected"  # refused by the admin
    MERGED = "merged"  # approved, but the agency was merged away meanwhile: recorded as refused, ask again
    STALE = "stale"  # decided before (by this or another admin), or no such request
    FORBIDDEN = "forbidden"  # the request is for a province this admin does not administer


class LeadersRefusal(StrEnum):
    """Why /lanhdao did not make the group the leaders' chat."""

    NOT_ADMIN = "not_admin"  # the group belongs to a province the user does not administer
    NO_PROVINCE = "no_province"  # no province is served yet
    WHICH_PROVINCE = "which_province"  # several provinces served: the command must name one
