"""The cases app's models, one module per concern; import them from here."""

from cases.models.case import (
    NOT_COUNTED,
    STATUS_INFO,
    TERMINAL,
    Case,
    CaseEvent,
    DailySequence,
    Milestone,
    Satisfaction,
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
from cases.models.inspectors import Patrol
from cases.models.notifications import Channel, DeliveryStatus, Notification, NotificationAttempt
from cases.models.photos import CasePhoto, PhotoKind, PhotoStatus
from cases.models.supervision import OrderStatus, SupervisionOrder

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
    "OrderStatus",
    "Patrol",
    "PhotoKind",
    "PhotoStatus",
    "PublicCategory",
    "RoutingRule",
    "Satisfaction",
    "Source",
    "Status",
    "SupervisionOrder",
    "Urgency",
]
