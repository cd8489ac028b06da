"""The cases app's models, one module per concern; import them from here."""

from cases.models.case import (
    NOT_COUNTED,
    STATUS_INFO,
    TERMINAL,
    Case,
    CaseEvent,
    DailySequence,
    Milestone,
    Source,
    Status,
    StatusInfo,
    Urgency,
)
from cases.models.catalogue import (
    CalendarDay,
    Category,
    CategoryClassLimit,
    CategoryKind,
    Department,
    LimitUnit,
    MajorCategory,
    PublicCategory,
    RoutingRule,
)
from cases.models.notifications import Channel, DeliveryStatus, Notification, NotificationAttempt
from cases.models.photos import CasePhoto, PhotoKind, PhotoStatus

__all__ = [
    "NOT_COUNTED",
    "STATUS_INFO",
    "TERMINAL",
    "Milestone",
    "StatusInfo",
    "CalendarDay",
    "Case",
    "CaseEvent",
    "CasePhoto",
    "Category",
    "CategoryClassLimit",
    "CategoryKind",
    "Channel",
    "DailySequence",
    "DeliveryStatus",
    "Department",
    "LimitUnit",
    "MajorCategory",
    "Notification",
    "NotificationAttempt",
    "PhotoKind",
    "PhotoStatus",
    "PublicCategory",
    "RoutingRule",
    "Source",
    "Status",
    "Urgency",
]
