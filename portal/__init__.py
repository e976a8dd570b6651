"""The wallet onboarding portal."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

import config as portal_config
from config import ConfigError
from portal.security import PortalRequest

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["ConfigError", "create_app"]


def create_app(
    config_name: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    commands: bool = True,
) -> Flask:
    """Build the app: configuration, extensions, blueprints, error pages, commands.

    ``commands=False`` (wsgi.py) leaves out the command line and the migrations: a web
    worker runs neither, and Flask-Migrate with Alembic under it is 11 MB of each."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.request_class = PortalRequest
    load_configuration(app, config_name, overrides)
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    if commands:
        register_commands(app)
    return app


def load_configuration(app: Flask, name: str | None, overrides: Mapping[str, Any] | None) -> None:
    name = name or os.environ.get("PORTAL_CONFIG", "development")
    if name not in portal_config.CONFIGS:
        raise ConfigError(f"PORTAL_CONFIG must be one of {', '.join(portal_config.CONFIGS)}")
    app.config.from_object(portal_config.CONFIGS[name])
    app.config["CONFIG_NAME"] = name
    if name == "development":
        # The port `make run` serves on (an explicit PORTAL_BASE_URL still wins below).
        base_url = portal_config.development_base_url(os.environ.get("PORT"))
        if base_url:
            app.config["BASE_URL"] = base_url
    app.config.from_prefixed_env("PORTAL")
    if overrides:
        app.config.update(overrides)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{os.path.join(app.instance_path, 'portal.sqlite')}"
        )
    storage = os.path.realpath(
        os.path.join(app.instance_path, app.config.get("DOCUMENT_STORAGE") or "documents")
    )
    static = os.path.realpath(app.static_folder or ROOT / "static")
    if os.path.commonpath([storage, static]) == static:
        raise ConfigError("DOCUMENT_STORAGE must be outside the static folder, which anyone reads")
    app.config["DOCUMENT_STORAGE"] = storage
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "translations"))
    from portal.moments import valid_default_zone

    valid_default_zone(app.config)
    if app.config.get("LOG_FORMAT", "text") not in ("text", "json"):
        raise ConfigError('LOG_FORMAT must be "text" or "json"')
    portal_config.check_operator(app.config)
    if name == "production":
        portal_config.check_production(app.config)


def register_extensions(app: Flask) -> None:
    from portal import database, metrics, security, widgets
    from portal.extensions import babel, csrf, db, limiter, mail
    from portal.i18n import select_locale

    widgets.install()
    # First, so that its timing wraps the other extensions' hooks.
    metrics.init_app(app)
    db.init_app(app)
    database.configure(app)
    mail.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    security.init_app(app)


def register_blueprints(app: Flask) -> None:
    from portal.account import bp as account_bp
    from portal.devmail import bp as devmail_bp
    from portal.legal import bp as legal_bp
    from portal.main import bp as main_bp
    from portal.payments import bp as payments_bp
    from portal.register import bp as register_bp
    from portal.support import bp as support_bp
    from portal.verification import bp as verification_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(register_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(devmail_bp)
    app.register_blueprint(support_bp)
    app.register_blueprint(verification_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(legal_bp)


def register_request_hooks(app: Flask) -> None:
    from portal import auth, fieldhtml, i18n, moments

    app.after_request(i18n.remember_language)
    app.add_template_filter(moments.moment_text, "moment_text")
    app.add_template_filter(moments.date_text, "long_date")
    app.add_template_filter(moments.machine_time, "machine_time")
    app.add_template_global(moments.reader_zone, "reader_zone")
    app.add_template_global(fieldhtml.render_field, "render_field")
    app.context_processor(
        lambda: {
            "html_lang": i18n.html_lang,
            "language_url": i18n.language_url,
            "switcher_languages": i18n.switcher_languages,
            "current_language": i18n.select_language,
            "plural_templates": i18n.plural_templates,
            "current_account": auth.current_account,
        }
    )


def register_errorhandlers(app: Flask) -> None:
    from portal import errors

    errors.init_app(app)


def register_commands(app: Flask) -> None:
    from flask_migrate import Migrate

    from portal.extensions import db

    Migrate(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    from portal.documents.cli import documents
    from portal.outbox.cli import outbox
    from portal.payments.cli import payments
    from portal.register.cli import drafts
    from portal.support.cli import support
    from portal.translate import translate

    app.cli.add_command(translate)
    app.cli.add_command(drafts)
    app.cli.add_command(outbox)
    app.cli.add_command(payments)
    app.cli.add_command(documents)
    app.cli.add_command(support)
