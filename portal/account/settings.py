"""Changes a signed-in person makes to their wallet."""

from __future__ import annotations

from portal import auth
from portal.account.recovery import set_password
from portal.extensions import db
from portal.letters import enqueue_letter, external_url
from portal.models import Account
from portal.passwords import hash_answer, verify_secret


def change_refund_choice(account: Account, refund_to_wallet: bool) -> None:
    account.refund_to_wallet = refund_to_wallet
    db.session.commit()


def change_language(account: Account, language: str) -> None:
    account.locale = language
    db.session.commit()


def change_password(account: Account, current: str, new: str) -> bool:
    """Needs the current password; ends every other session; the owner gets a letter."""
    if not verify_secret(account.password_hash, current):
        return False
    set_password(account, new)
    auth.end_other_sessions(account)
    db.session.commit()
    return True


def change_questions(
    account: Account,
    current_password: str,
    questions: tuple[str, str],
    answers: tuple[str, str],
) -> bool:
    """Needs the password. An empty answer keeps the old one for an unchanged question."""
    if not verify_secret(account.password_hash, current_password):
        return False
    for number, (question, answer) in enumerate(zip(questions, answers, strict=True), start=1):
        if answer.strip():
            setattr(account, f"answer_{number}_hash", hash_answer(answer))
        setattr(account, f"question_{number}", question)
    enqueue_letter(
        "questions_changed",
        account.email,
        account.locale,
        account=account,
        name=account.first_name,
        recover_url=external_url("account.recover"),
    )
    db.session.commit()
    return True
