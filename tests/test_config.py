import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st

from config import TestingConfig, is_fernet_key
from portal import ConfigError, create_app

ROOT = Path(__file__).resolve().parent.parent
STRONG_SECRET = secrets.token_urlsafe(48)
DOCUMENT_KEY = Fernet.generate_key().decode()
PRODUCTION = {
    "SECRET_KEY": STRONG_SECRET,
    "DOCUMENT_KEYS": DOCUMENT_KEY,
    "BASE_URL": "https://wallet.example",
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
}


@pytest.mark.parametrize(
    ("name", "debug", "testing", "dev_mailbox"),
    [
        ("development", True, False, True),
        ("testing", False, True, True),
        ("production", False, False, False),
    ],
)
def test_each_configuration_builds_an_app(name, debug, testing, dev_mailbox):
    overrides = PRODUCTION if name == "production" else {"SQLALCHEMY_DATABASE_URI": "sqlite://"}
    app = create_app(name, overrides)
    assert app.config["CONFIG_NAME"] == name
    assert app.debug is debug
    assert app.testing is testing
    assert app.config["DEV_MAILBOX"] is dev_mailbox
    assert app.config["SESSION_COOKIE_SECURE"] is (name == "production")


def test_development_is_the_default(monkeypatch):
    monkeypatch.delenv("PORTAL_CONFIG", raising=False)
    monkeypatch.setenv("PORTAL_SQLALCHEMY_DATABASE_URI", "sqlite://")
    assert create_app().config["CONFIG_NAME"] == "development"


def test_portal_config_chooses_the_configuration(monkeypatch):
    monkeypatch.setenv("PORTAL_CONFIG", "testing")
    assert create_app().config["TESTING"] is True


def test_unknown_configuration_is_refused(monkeypatch):
    monkeypatch.setenv("PORTAL_CONFIG", "staging")
    with pytest.raises(ConfigError, match="PORTAL_CONFIG"):
        create_app()


def test_environment_overrides_any_key_with_json_values(monkeypatch):
    monkeypatch.setenv("PORTAL_MAIL_PORT", "2525")
    monkeypatch.setenv("PORTAL_MAIL_SERVER", "smtp.example.org")
    monkeypatch.setenv("PORTAL_RATELIMIT_ENABLED", "true")
    app = create_app("testing")
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["MAIL_SERVER"] == "smtp.example.org"
    assert app.config["RATELIMIT_ENABLED"] is True


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("PORTAL_SQLALCHEMY_DATABASE_URI", raising=False)
    app = create_app("development")
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    assert uri == f"sqlite:///{os.path.join(app.instance_path, 'portal.sqlite')}"


def test_translations_folder_is_absolute():
    app = create_app("testing")
    folder = app.config["BABEL_TRANSLATION_DIRECTORIES"]
    assert os.path.isabs(folder) and os.path.isdir(folder)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": "development-only-secret-key-do-not-deploy"}, "SECRET_KEY"),
        ({"CAPTCHA_FIXED_ANSWER": "ABCDE"}, "CAPTCHA_FIXED_ANSWER"),
        ({"DEV_MAILBOX": True}, "DEV_MAILBOX"),
        ({"BASE_URL": "http://wallet.example"}, "BASE_URL"),
        ({"DOCUMENT_KEYS": None}, "DOCUMENT_KEYS"),
        ({"DOCUMENT_KEYS": " , "}, "DOCUMENT_KEYS"),
        ({"DOCUMENT_KEYS": TestingConfig.DOCUMENT_KEYS}, "DOCUMENT_KEYS"),
        ({"DOCUMENT_KEYS": f"{DOCUMENT_KEY},not-a-key"}, "DOCUMENT_KEYS: key 2"),
        ({"SECRET_KEY": "a" * 32}, "SECRET_KEY"),
        ({"SECRET_KEY": "x" * 64}, "SECRET_KEY"),
        ({"SECRET_KEY": "ab" * 32}, "SECRET_KEY"),
        ({"SECRET_KEY": "0123456789abcdef" * 4}, "SECRET_KEY"),
        ({"DEBUG": True}, "DEBUG must be off"),
        ({"DEBUG": "true"}, "DEBUG must be off"),
        ({"TESTING": True}, "TESTING must be off"),
        ({"WTF_CSRF_ENABLED": False}, "WTF_CSRF_ENABLED"),
        ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE"),
        ({"SESSION_COOKIE_HTTPONLY": False}, "SESSION_COOKIE_HTTPONLY"),
        ({"SESSION_COOKIE_SAMESITE": None}, "SESSION_COOKIE_SAMESITE"),
        ({"SESSION_COOKIE_SAMESITE": "None"}, "SESSION_COOKIE_SAMESITE"),
        ({"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8}, "ARGON2"),
        ({"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 19456}, "ARGON2"),
        ({"ARGON2_TIME_COST": 100, "ARGON2_MEMORY_COST": 1024}, "ARGON2"),
        ({"ARGON2_PARALLELISM": 0}, "ARGON2"),
        ({"BASE_URL": "https://"}, "BASE_URL"),
        ({"BASE_URL": "https:///path"}, "BASE_URL"),
        ({"PSEUDO_LOCALE_ENABLED": True}, "PSEUDO_LOCALE_ENABLED"),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI memory://"),
    ],
)
def test_production_refuses_unsafe_settings(change, reason):
    with pytest.raises(ConfigError, match=reason) as caught:
        create_app("production", {**PRODUCTION, **change})
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "change",
    [
        {"SECRET_KEY": secrets.token_hex(16)},
        {"SECRET_KEY": "correct horse battery staple on a quiet harbour"},
        {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 47104},
        {"ARGON2_TIME_COST": 5, "ARGON2_MEMORY_COST": 7168},
        {"SESSION_COOKIE_SAMESITE": "Strict"},
        {"RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ONE_WORKER": True},
        {"RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": False},
    ],
)
def test_production_accepts_safe_settings(change):
    assert create_app("production", {**PRODUCTION, **change}).config["CONFIG_NAME"] == "production"


def test_wsgi_refuses_unsafe_environment_in_one_line():
    """Settings come from PORTAL_* variables as JSON: the refusal sees what they became."""
    result = run_wsgi(
        {
            "PORTAL_CONFIG": "production",
            "PORTAL_SECRET_KEY": STRONG_SECRET,
            "PORTAL_DOCUMENT_KEYS": DOCUMENT_KEY,
            "PORTAL_BASE_URL": "https://wallet.example",
            "PORTAL_SQLALCHEMY_DATABASE_URI": "sqlite://",
            "PORTAL_RATELIMIT_ONE_WORKER": "true",
            "PORTAL_WTF_CSRF_ENABLED": "false",
        }
    )
    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [
        "portal: refusing to start: WTF_CSRF_ENABLED must stay on in production (forms would"
        " accept forged posts): unset PORTAL_WTF_CSRF_ENABLED"
    ]


def test_production_has_no_default_secret():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app("production", {"BASE_URL": "https://wallet.example"})


def run_wsgi(env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_wsgi_refuses_production_without_secret_in_one_line():
    result = run_wsgi({"PORTAL_CONFIG": "production", "PORTAL_BASE_URL": "https://w.example"})
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("portal: refusing to start: SECRET_KEY")


def test_wsgi_exposes_app_in_production_when_configured(tmp_path):
    result = run_wsgi(
        {
            "PORTAL_CONFIG": "production",
            "PORTAL_SECRET_KEY": STRONG_SECRET,
            "PORTAL_DOCUMENT_KEYS": f"{DOCUMENT_KEY},{Fernet.generate_key().decode()}",
            "PORTAL_BASE_URL": "https://wallet.example",
            "PORTAL_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite'}",
            "PORTAL_RATELIMIT_ONE_WORKER": "true",
        }
    )
    assert result.returncode == 0, result.stderr


def fernet_accepts(key: str) -> bool:
    try:
        Fernet(key)
    except ValueError:
        return False
    return True


@given(
    st.one_of(
        st.text(max_size=60),
        st.binary(min_size=0, max_size=40).map(lambda raw: base64.urlsafe_b64encode(raw).decode()),
        st.text(alphabet="ABCDEFabcdef0123456789-_=+/", max_size=48),
    )
)
def test_a_document_key_is_checked_as_fernet_checks_it(key):
    assert is_fernet_key(key) == fernet_accepts(key)


def test_production_refuses_a_key_that_is_not_fernet():
    assert is_fernet_key(DOCUMENT_KEY)
    assert not is_fernet_key(DOCUMENT_KEY[:-4])
    assert not is_fernet_key("é" * 44)
