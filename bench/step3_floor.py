"""The least a step-3 POST can cost on the portal's stack, for bench/wizard.py.

Flask 3 + Flask-WTF (CSRF) over SQLAlchemy 2's ORM on psycopg 3 with a pool, as
../shared/bench/ref_db is: the signed session cookie names a row; the POST checks the
CSRF token and a form with step 3's fields (lengths, the two passwords alike, two
different questions, answers given), hashes the password and both answers with the
portal's argon2id parameters, writes the three hashes into the row and redirects.
No strength estimate, no language, no progress, no unsaved input kept: what any
implementation of the step has to do, so that the portal's distance from its hashes
can be read against the distance this app already has.

  GET  /          a row of its own, a session naming it, the form's CSRF token
  POST /security  step 3 as above: 302, or 200 with the errors

Env: FLOOR_DB_URL (postgresql+psycopg://...), FLOOR_SECRET_KEY.
Run from this folder: ``gunicorn -w 2 --preload step3_floor:app`` (the table is created
at import, once).
"""

from __future__ import annotations

import os
import secrets

from argon2 import PasswordHasher, Type
from flask import Flask, abort, redirect, session
from flask_wtf import FlaskForm
from sqlalchemy import String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from wtforms import PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

QUESTIONS = [
    SelectChoice("first_pet", "The name of your first pet"),
    SelectChoice("childhood_street", "The street you grew up on"),
    SelectChoice("first_teacher", "Your first teacher's name"),
    SelectChoice("parents_met", "The town where your parents met"),
    SelectChoice("first_job", "Your first job"),
]

app = Flask(__name__)
app.config.update(
    SECRET_KEY=os.environ.get("FLOOR_SECRET_KEY") or secrets.token_urlsafe(32),
    WTF_CSRF_TIME_LIMIT=None,
)
hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.ID)


class Base(DeclarativeBase):
    pass


class FloorDraft(Base):
    __tablename__ = "floor_drafts"
    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    question_1: Mapped[str | None] = mapped_column(String(40))
    answer_1_hash: Mapped[str | None] = mapped_column(String(255))
    question_2: Mapped[str | None] = mapped_column(String(40))
    answer_2_hash: Mapped[str | None] = mapped_column(String(255))


engine = create_engine(os.environ["FLOOR_DB_URL"], pool_size=5, max_overflow=5)
Base.metadata.create_all(engine)
engine.dispose()  # no connection of the master's is handed down to a worker
Session = sessionmaker(engine)


class SecurityForm(FlaskForm):
    password = PasswordField("Password", validators=[DataRequired(), Length(8, 256)])
    password_confirm = PasswordField("Repeat", validators=[EqualTo("password")])
    question_1 = SelectField("Question 1", choices=QUESTIONS)
    answer_1 = StringField("Answer 1", validators=[DataRequired(), Length(max=100)])
    question_2 = SelectField("Question 2", choices=QUESTIONS)
    answer_2 = StringField("Answer 2", validators=[DataRequired(), Length(max=100)])
    submit = SubmitField("Continue")

    def validate_question_2(self, field):
        if field.data == self.question_1.data:
            raise ValidationError("Choose two different questions.")


@app.get("/")
def start():
    ref = secrets.token_urlsafe(32)
    with Session() as db:
        db.add(FloorDraft(ref=ref))
        db.commit()
    session["draft"] = ref
    token = SecurityForm().csrf_token.current_token
    return f'<input name="csrf_token" type="hidden" value="{token}">'


@app.post("/security")
def security():
    with Session() as db:
        draft = db.get(FloorDraft, session.get("draft", ""))
        if draft is None:
            abort(404)
        form = SecurityForm()
        if not form.validate_on_submit():
            return str(form.errors)
        draft.password_hash = hasher.hash(form.password.data)
        draft.question_1, draft.question_2 = form.question_1.data, form.question_2.data
        draft.answer_1_hash = hasher.hash(form.answer_1.data.strip().casefold())
        draft.answer_2_hash = hasher.hash(form.answer_2.data.strip().casefold())
        db.commit()
    return redirect("/refunds")
