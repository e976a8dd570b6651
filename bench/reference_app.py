"""The yardstick for the wizard's throughput: a minimal Flask + Flask-WTF page that
renders a three-field form (with its CSRF token) in a base layout.

``gunicorn --chdir bench reference_app:app`` serves it at ``/``. It has no database,
no translations and no security headers: whatever the wizard costs beyond this is
the wizard's own work.
"""

import os
import secrets

from flask import Flask, render_template
from flask_wtf import FlaskForm
from jinja2 import DictLoader
from wtforms import EmailField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length

TEMPLATES = {
    "base.html": """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{% block title %}{% endblock %} · Reference</title>
  <link rel="stylesheet" href="{{ url_for('static', filename='portal.css') }}">
</head>
<body>
  <header><a href="{{ url_for('form') }}">Reference</a></header>
  <main id="main">{% block content %}{% endblock %}</main>
  <footer><p>A page to compare with.</p></footer>
</body>
</html>
""",
    "form.html": """{% extends "base.html" %}
{% block title %}Contact{% endblock %}
{% block content %}
<h1>Contact</h1>
<form method="post" novalidate>
  {{ form.csrf_token }}
  {% for field in (form.name, form.email, form.message) %}
  <div class="field">
    {{ field.label }}
    {{ field(autocomplete="off") }}
    {% for error in field.errors %}<p class="field__error">{{ error }}</p>{% endfor %}
  </div>
  {% endfor %}
  {{ form.submit() }}
</form>
{% endblock %}
""",
}


class ContactForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    email = EmailField("E-mail address", validators=[DataRequired(), Email()])
    message = TextAreaField("Message", validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField("Send")


def create_app() -> Flask:
    app = Flask(__name__, static_folder=os.path.join(os.path.dirname(__file__), "..", "static"))
    app.config["SECRET_KEY"] = os.environ.get("REFERENCE_SECRET_KEY") or secrets.token_hex(32)
    app.jinja_loader = DictLoader(TEMPLATES)

    @app.route("/", methods=["GET", "POST"])
    def form():
        form = ContactForm()
        return render_template("form.html", form=form)

    return app


app = create_app()
