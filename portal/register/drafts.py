"""The draft: a wallet being opened, saved server-side after every step.

The browser holds only the draft's random ``ref`` in its session. The confirmation
link carries the ref and the address, signed; opening it proves the address and
attaches the draft to whichever browser opened it.
"""

from __future__ import annotations

import enum
import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app, session
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from portal import captcha, counters, unsaved
from portal.extensions import db
from portal.letters import enqueue_letter, external_url
from portal.models import Account, Draft
from portal.models.types import utcnow
from portal.tokens import TokenExpired, TokenInvalid, make_token, read_token

SESSION_KEY = "draft"
BROWSER_KEY = "browser"
CONFIRM_PURPOSE = "confirm-email"
STEPS = ("email", "personal", "security", "refunds")
JUST_OPENED = timedelta(minutes=2)
SECOND_CLICK = timedelta(minutes=2)
PERSONAL_FIELDS = (
    "first_name",
    "last_name",
    "patronymic",
    "birth_date",
    "citizenship",
    "document_type",
    "document_country",
    "document_number",
    "country",
    "region",
    "city",
    "street",
    "postal_code",
    "phone",
)


class AddressTaken(Exception):
    """A wallet for this address was opened meanwhile (by another draft)."""


class AlreadyOpened(Exception):
    """This draft has already become a wallet (a second submit, another browser)."""

    def __init__(self, account_id: int | None) -> None:
        super().__init__(account_id)
        self.account_id = account_id


class LinkProblem(enum.Enum):
    INVALID = "invalid"
    EXPIRED = "expired"
    WALLET_EXISTS = "wallet_exists"


# Drafts ---------------------------------------------------------------------------


def touch(draft: Draft) -> None:
    now = utcnow()
    draft.updated_at = now
    draft.expires_at = now + timedelta(seconds=current_app.config["DRAFT_TTL_SECONDS"])


def current_draft() -> Draft | None:
    """This browser's draft, if it has one that has not expired."""
    ref = session.get(SESSION_KEY)
    if not ref:
        return None
    draft = db.session.scalar(select(Draft).where(Draft.ref == ref))
    if draft is None or (draft.completed_at is None and draft.expires_at <= utcnow()):
        return None
    return draft


def start(email: str, language: str, challenge_id: str | None = None) -> Draft:
    """Step 1: create or refresh this browser's draft and queue its letter.

    The letter depends on whether the address already has a wallet; nothing else does,
    so the page that follows cannot tell the two apart. ``challenge_id``, the captcha
    solved for it, lets a second click on the same form find this draft.
    """
    draft = current_draft()
    if draft is None or draft.completed_at is not None:
        draft = Draft(ref=secrets.token_urlsafe(32), email=email, created_at=utcnow())
        db.session.add(draft)
    elif draft.email != email:
        # A new address: links sent to the old one stop working (they name it).
        draft.email = email
        draft.confirmed_at = None
        draft.reminded_at = None
        draft.resends = 0
    draft.locale = language
    draft.captcha_id = challenge_id
    touch(draft)
    queue_letter(draft)
    ref = draft.ref  # read before the commit expires it: after, it would be fetched again
    db.session.commit()
    attach(ref)
    return draft


def attach(ref: str) -> None:
    """This browser holds the draft from now on. The browser's own mark (kept in its
    session) tells later which browser opened the wallet: only that one is signed in."""
    session[SESSION_KEY] = ref
    session.setdefault(BROWSER_KEY, secrets.token_urlsafe(16))
    session.permanent = True


def browser_mark() -> str | None:
    mark = session.get(BROWSER_KEY)
    return hashlib.sha256(mark.encode()).hexdigest() if isinstance(mark, str) else None


def resume_started_with(challenge_id: str | None, email: str | None, answer: str) -> bool:
    """A second submit of step 1 (a double click) arrives with the captcha the first one
    used up: if that first one started a draft for the same address moments ago, this
    browser goes on with it instead of being told that the image expired."""
    if not challenge_id or not email or not captcha.CHALLENGE_ID.fullmatch(challenge_id):
        return False
    draft = db.session.scalar(
        select(Draft).where(
            Draft.email == email,
            Draft.captcha_id == challenge_id,
            Draft.completed_at.is_(None),
            Draft.updated_at > utcnow() - SECOND_CLICK,
        )
    )
    if draft is None or not captcha.was_answer(challenge_id, answer):
        return False
    attach(draft.ref)
    return True


def queue_letter(draft: Draft, kind: str = "confirm") -> None:
    """The confirmation letter, or "you already have a wallet" for a taken address."""
    # Set before the draft's INSERT is flushed, so that it needs no UPDATE of its own.
    draft.last_letter_at = utcnow()
    if account_exists(draft.email):
        enqueue_letter(
            "already_registered",
            draft.email,
            draft.locale,
            draft=draft,
            login_url=external_url("account.login"),
            recover_url=external_url("account.recover"),
        )
    else:
        enqueue_letter(
            kind,
            draft.email,
            draft.locale,
            draft=draft,
            confirm_url=external_url("register.confirm", token=confirmation_token(draft)),
            valid_hours=current_app.config["CONFIRM_TOKEN_MAX_AGE"] // 3600,
        )


def account_exists(email: str) -> bool:
    return db.session.scalar(select(Account.id).where(Account.email == email)) is not None


def confirmation_token(draft: Draft) -> str:
    return make_token(CONFIRM_PURPOSE, {"d": draft.ref, "e": draft.email})


# Resending ------------------------------------------------------------------------


@dataclass(frozen=True)
class ResendState:
    wait_seconds: int
    left_today: int

    @property
    def allowed(self) -> bool:
        return self.wait_seconds == 0 and self.left_today > 0


def resend_state(draft: Draft) -> ResendState:
    return cooldown_state(
        draft.last_letter_at, draft.resends, draft.resends_day, draft.resends_today
    )


def cooldown_state(last_at, resends: int, resends_day, resends_today: int) -> ResendState:
    """Resending waits 60 s after a letter, twice as long after each resend, 5 a day
    (the confirmation's and the password reset's alike)."""
    config = current_app.config
    now = utcnow()
    used_today = resends_today if resends_day == now.date() else 0
    left = max(config["RESEND_DAILY_LIMIT"] - used_today, 0)
    cooldown = config["RESEND_COOLDOWN_SECONDS"] * 2 ** min(resends, 10)
    ready_at = (last_at or now) + timedelta(seconds=cooldown)
    wait = max(math.ceil((ready_at - now).total_seconds()), 0)
    return ResendState(wait_seconds=wait, left_today=left)


def count_resend(row) -> None:
    """One more resend on a row with ``resends``, ``resends_day`` and ``resends_today``
    (a draft, a password reset's request row): today's count starts again each day."""
    today = utcnow().date()
    if row.resends_day != today:
        row.resends_day, row.resends_today = today, 0
    row.resends += 1
    row.resends_today += 1


def resend(draft: Draft) -> tuple[bool, ResendState]:
    """Queue the letter again if the cooldown allows; earlier links keep working.

    The draft's row is held (portal.counters) from before the cooldown is read until the
    resend is counted: of simultaneous resends, only those the limits allow queue a letter."""
    draft = counters.hold(Draft, create=False, id=draft.id)
    state = resend_state(draft)
    if not state.allowed:
        db.session.commit()  # releases the row
        return False, state
    count_resend(draft)
    touch(draft)
    queue_letter(draft)
    db.session.commit()
    return True, resend_state(draft)


# Confirmation ---------------------------------------------------------------------


def confirm(token: str) -> Draft | LinkProblem:
    """Open the letter's link: confirm the address and attach the draft to this browser."""
    try:
        payload = read_token(CONFIRM_PURPOSE, token, current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    except TokenExpired:
        return LinkProblem.EXPIRED
    except TokenInvalid:
        return LinkProblem.INVALID
    if not isinstance(payload, dict):
        return LinkProblem.INVALID
    draft = db.session.scalar(select(Draft).where(Draft.ref == payload.get("d")))
    if draft is None:
        return LinkProblem.EXPIRED
    if draft.email != payload.get("e"):
        return LinkProblem.INVALID
    if draft.completed_at is not None or account_exists(draft.email):
        return LinkProblem.WALLET_EXISTS
    if draft.expires_at <= utcnow():
        return LinkProblem.EXPIRED
    if draft.confirmed_at is None:
        draft.confirmed_at = utcnow()
    touch(draft)
    ref = draft.ref
    db.session.commit()
    attach(ref)
    return draft


# Steps ----------------------------------------------------------------------------


def first_unfinished_step(draft: Draft) -> str:
    if draft.confirmed_at is None:
        return "email"
    if not draft.personal_done:
        return "personal"
    if not draft.security_done:
        return "security"
    return "refunds"


def may_open(draft: Draft, step: str) -> bool:
    return STEPS.index(step) <= STEPS.index(first_unfinished_step(draft))


def save_personal(draft: Draft, values: dict[str, Any]) -> str:
    """Step 2, checked and normalised. Returns the step that comes next."""
    draft.personal = {name: values.get(name) or "" for name in PERSONAL_FIELDS}
    draft.personal_done = True
    unsaved.forget_in_draft(draft, "personal")
    touch(draft)
    return commit_step(draft)


def commit_step(draft: Draft) -> str:
    """Commit a step and say which comes next, read before the commit expires the draft
    (read after, the draft would be fetched back in a second transaction)."""
    next_step = first_unfinished_step(draft)
    db.session.commit()
    return next_step


def keep_unsaved(draft: Draft, step: str, form) -> None:
    """A step sent with errors: what was typed stays with the draft (``portal.unsaved``)."""
    unsaved.keep_in_draft(draft, step, form)
    touch(draft)
    db.session.commit()


def save_questions(draft: Draft, question_1: str | None, question_2: str | None) -> None:
    """Back from step 3 keeps the chosen questions (answers are never kept in clear)."""
    if question_1 != draft.question_1:
        draft.question_1, draft.answer_1_hash = question_1, None
    if question_2 != draft.question_2:
        draft.question_2, draft.answer_2_hash = question_2, None
    touch(draft)
    db.session.commit()


def save_security(
    draft: Draft,
    *,
    password_hash: str | None,
    question_1: str,
    answer_1_hash: str | None,
    question_2: str,
    answer_2_hash: str | None,
) -> str:
    """Step 3. A None hash keeps the one chosen before (editing from the review).
    Returns the step that comes next."""
    if password_hash:
        draft.password_hash = password_hash
    draft.question_1, draft.question_2 = question_1, question_2
    if answer_1_hash:
        draft.answer_1_hash = answer_1_hash
    if answer_2_hash:
        draft.answer_2_hash = answer_2_hash
    unsaved.forget_in_draft(draft, "security")
    touch(draft)
    return commit_step(draft)


def save_refund_choice(draft: Draft, refund_to_wallet: bool) -> None:
    draft.refund_to_wallet = refund_to_wallet
    touch(draft)
    db.session.commit()


# Opening the wallet ---------------------------------------------------------------


def open_wallet(draft: Draft, refund_to_wallet: bool, *, consented: bool) -> Account:
    """Turn the draft into an account, atomically, exactly once.

    Only with the person's consent to the processing of their personal data, which is
    recorded with the account: when it was given, and to which version of the privacy
    notice (GDPR art. 7(1) and 152-FZ art. 9 ask the operator to be able to prove it).

    The conditional update lets only one request claim the draft; the unique address
    lets only one draft open a wallet for an address. The draft's personal data is
    erased in the same transaction, and the welcome letter is queued with it.
    """
    if not consented:
        raise ValueError("a wallet opens only with consent to the processing of personal data")
    claimed = db.session.execute(
        update(Draft)
        .where(Draft.id == draft.id, Draft.completed_at.is_(None))
        .values(completed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        db.session.refresh(draft)
        raise AlreadyOpened(draft.account_id)
    personal = dict(draft.personal or {})
    account = Account(
        email=draft.email,
        password_hash=draft.password_hash,
        question_1=draft.question_1,
        answer_1_hash=draft.answer_1_hash,
        question_2=draft.question_2,
        answer_2_hash=draft.answer_2_hash,
        refund_to_wallet=refund_to_wallet,
        consented_at=utcnow(),
        privacy_notice_version=str(current_app.config["PRIVACY_NOTICE_VERSION"]),
        locale=draft.locale,
        **{name: personal.get(name, "") for name in PERSONAL_FIELDS if name != "birth_date"},
        birth_date=parse_iso_date(personal.get("birth_date")),
    )
    db.session.add(account)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise AddressTaken from None
    draft.account_id = account.id
    draft.opened_by = browser_mark()
    erase_personal_data(draft)
    enqueue_letter(
        "welcome",
        account.email,
        account.locale,
        account=account,
        name=account.first_name,
        account_url=external_url("account.overview"),
        refund_to_wallet=refund_to_wallet,
    )
    db.session.commit()
    return account


def just_opened_account(draft: Draft) -> Account | None:
    """The wallet this browser opened moments ago (a second submit of the last step).

    Holding the draft is not enough: the confirmation link attaches the draft to any
    browser that opens it (a forwarded letter, a mail scanner), and such a browser must
    sign in with the password. Only the browser that sent the last step carries the mark
    recorded then, and only for a short while."""
    if draft.completed_at is None or draft.account_id is None or not draft.opened_by:
        return None
    if utcnow() - draft.completed_at > JUST_OPENED or browser_mark() != draft.opened_by:
        return None
    return db.session.get(Account, draft.account_id)


def parse_iso_date(value: str | None) -> date | None:
    """A date kept in the draft's JSON (drafts saved before the field existed have none)."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def erase_personal_data(draft: Draft) -> None:
    draft.personal = draft.unsaved = None
    draft.password_hash = draft.answer_1_hash = draft.answer_2_hash = None


def forget() -> None:
    session.pop(SESSION_KEY, None)


def purge_expired() -> tuple[int, int]:
    """Delete drafts past their expiry (with their personal data) and stale captchas."""
    drafts = db.session.execute(delete(Draft).where(Draft.expires_at < utcnow())).rowcount
    challenges = captcha.purge_expired()
    db.session.commit()
    return drafts, challenges
