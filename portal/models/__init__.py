"""The portal's tables. Every schema change goes through a migration (flask db migrate)."""

from portal.models.account import Account, AuthSession, RecoveryRequest, SignInThrottle
from portal.models.document import Document
from portal.models.draft import CaptchaChallenge, Draft
from portal.models.outbox import LetterRequest, OutboxMessage
from portal.models.payment import Payment, PaymentPassword, Shop
from portal.models.review import ReviewRequest
from portal.models.staff import AuditEntry, Staff, StaffSession, StaffThrottle

__all__ = [
    "Account",
    "AuditEntry",
    "AuthSession",
    "CaptchaChallenge",
    "Document",
    "Draft",
    "LetterRequest",
    "OutboxMessage",
    "Payment",
    "PaymentPassword",
    "RecoveryRequest",
    "Shop",
    "ReviewRequest",
    "SignInThrottle",
    "Staff",
    "StaffSession",
    "StaffThrottle",
]
