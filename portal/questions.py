"""The security questions a person chooses two of. Keys are stored; labels are translated."""

from flask_babel import lazy_gettext as _l

QUESTIONS = {
    "first_pet": _l("What was the name of your first pet?"),
    "childhood_street": _l("What was the name of the street you grew up on?"),
    "first_teacher": _l("What was the surname of your first teacher?"),
    "childhood_friend": _l("What is the first name of your best childhood friend?"),
    "parents_met": _l("In which town did your parents meet?"),
    "first_job": _l("What was the name of the company of your first job?"),
    "favourite_book": _l("What was your favourite book as a child?"),
    "grandmother_maiden": _l("What is your grandmother's maiden name?"),
}


def question_choices() -> list[tuple[str, str]]:
    return [(key, str(label)) for key, label in QUESTIONS.items()]


def question_text(key: str | None) -> str:
    return str(QUESTIONS.get(key or "", ""))
