"""The portal's tables. Every schema change goes through a migration (flask db migrate)."""

from portal.models.account import Account, AuthSession, SignInThrottle
from portal.models.document import Document
from portal.models.draft import CaptchaChallenge, Draft
from portal.models.outbox import OutboxMessage

__all__ = [
    "Account",
    "AuthSession",
    "CaptchaChallenge",
    "Document",
    "Draft",
    "OutboxMessage",
    "SignInThrottle",
]
