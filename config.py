"""The portal's configurations, chosen by ``PORTAL_CONFIG``; any key can then be
overridden by a ``PORTAL_<KEY>`` environment variable (see ``portal.create_app``).

Only development and testing carry default secrets; production must be given them.
"""

import base64
import hashlib
import math
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit


class ConfigError(RuntimeError):
    """The configuration cannot run safely; the message says why in one line."""


def derived_document_key(secret: str) -> str:
    """A Fernet key derived from a development secret, so local documents survive restarts."""
    digest = hashlib.sha256(b"portal documents:" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def document_keys(value) -> list[str]:
    """``DOCUMENT_KEYS`` as a list, newest first: a list, or one comma-separated string."""
    if not value:
        return []
    parts = value.split(",") if isinstance(value, str) else value
    return [str(part).strip() for part in parts if str(part).strip()]


class Config:
    SECRET_KEY: str | None = None
    # None means "SQLite in the instance folder", resolved by the factory.
    SQLALCHEMY_DATABASE_URI: str | None = None
    # No pre-ping (a round trip before every request's first query): a pooled connection
    # the server has closed is found without one, as it is checked out (portal.database).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    LANGUAGES = ["en", "ru", "fr"]
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    # The IANA zone of times shown when the browser has not told its own (the tz cookie),
    # and of every time in a letter.
    DEFAULT_TIMEZONE = "UTC"
    # A pseudo-locale (?lang=en-XA) that shows which text skipped the catalogs.
    PSEUDO_LOCALE_ENABLED = False
    WTF_I18N_ENABLED = True
    # Forms stay valid for the whole session: a slow typist must not lose a page.
    WTF_CSRF_TIME_LIMIT = None

    # Request bodies: no form of the portal needs more (uploads raise the limit for their
    # own pages); a larger body gets the 413 page in the reader's language.
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 512 * 1024
    MAX_FORM_PARTS = 200

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)
    # How many proxies in front of the app set X-Forwarded-For/-Proto (0: none).
    PROXY_COUNT = 0

    BASE_URL = "http://127.0.0.1:5000"
    SUPPORT_EMAIL = "support@wallet.example"
    # Who runs the portal (the controller under the GDPR, the operator under 152-FZ): named
    # in every page's footer, the legal pages and the consent on step 4.
    OPERATOR_NAME = "Wallet Example Ltd"
    # The operator's privacy notice and terms: files <page>.<language>.md or .html (privacy,
    # terms; en, ru, fr), English serving a language without its own; a page with neither
    # shows the default text shipped in templates/legal/. None means "legal" in the instance
    # folder; a relative path is resolved there too.
    LEGAL_DIR: str | None = None
    # Stored with each consent on step 4: change it when the privacy notice changes.
    PRIVACY_NOTICE_VERSION = "2026-12-01"

    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Wallet <no-reply@wallet.example>"
    # The sender's name as the recipient's inbox shows it, per language; the address (and,
    # for a language not listed, the name) comes from MAIL_DEFAULT_SENDER.
    MAIL_SENDER_NAMES = {"en": "Wallet", "ru": "Кошелёк", "fr": "Portefeuille"}
    MAIL_TIMEOUT = 30
    # Lists the outbox at /dev/mail; with MAIL_SERVER empty it is the only delivery.
    DEV_MAILBOX = False

    OUTBOX_POLL_SECONDS = 1.0
    OUTBOX_BATCH_SIZE = 50
    OUTBOX_LEASE_SECONDS = 120
    OUTBOX_MAX_ATTEMPTS = 8
    OUTBOX_RETRY_BASE_SECONDS = 30
    OUTBOX_RETRY_MAX_SECONDS = 6 * 3600
    OUTBOX_REMIND_AFTER_SECONDS = 3600

    # "text", or "json": one JSON object per line (time, level, logger, message), redacted.
    LOG_FORMAT = "text"

    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # The operator's word that one process serves the portal: only then may production
    # count rate limits in memory:// (each worker would have its own counts).
    RATELIMIT_ONE_WORKER = False
    REGISTER_RATE_LIMIT = "10 per minute; 60 per hour"
    LOGIN_RATE_LIMIT = "20 per minute; 200 per hour"
    LOGIN_ADDRESS_RATE_LIMIT = "10 per minute; 50 per hour"
    RECOVER_RATE_LIMIT = "10 per minute; 60 per hour"
    # The live strength check of a new password (portal.js asks as the person types).
    PASSWORD_STRENGTH_RATE_LIMIT = "60 per minute; 600 per hour"

    # Prometheus metrics at /metrics (portal.metrics): off, and then the page is a 404.
    # When on, only a direct loopback peer or `Authorization: Bearer METRICS_TOKEN` reads them.
    METRICS_ENABLED = False
    METRICS_TOKEN: str | None = None

    CAPTCHA_FIXED_ANSWER: str | None = None
    CAPTCHA_LENGTH = 5
    CAPTCHA_TTL_SECONDS = 600
    CAPTCHA_MAX_TRIES = 3
    # Live challenges one client address holds at most; past it, step 1 shows its newest.
    CAPTCHA_MAX_PER_CLIENT = 20

    CONFIRM_TOKEN_MAX_AGE = 24 * 3600
    DRAFT_TTL_SECONDS = 7 * 24 * 3600
    RESEND_COOLDOWN_SECONDS = 60
    RESEND_DAILY_LIMIT = 5

    # OWASP's argon2id parameters: 19 MiB, two passes, one lane.
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19456
    ARGON2_PARALLELISM = 1

    # Identity documents (portal.documents), encrypted at rest outside the static folder.
    # DOCUMENT_STORAGE: None means "documents" in the instance folder (a relative path is
    # resolved there too). DOCUMENT_KEYS: Fernet keys, newest first (list or "k1,k2").
    DOCUMENT_STORAGE: str | None = None
    DOCUMENT_KEYS: list[str] | str | None = None
    VERIFICATION_MAX_BYTES = 10 * 1024 * 1024
    VERIFICATION_MAX_PAGES = 4
    # Decoded size limit of an image, against decompression bombs (50 megapixels).
    VERIFICATION_MAX_PIXELS = 50_000_000
    # Uploads per account on /account/verification (Flask-Limiter syntax).
    VERIFICATION_RATE_LIMIT = "5 per hour; 20 per day"
    # Days after a decision (or a withdrawal) when `flask documents purge` deletes the files.
    DOCUMENT_RETENTION_DAYS = 30

    # Youngest age at which step 2 lets someone open a wallet (raise or lower it as the
    # operator's licence says).
    MINIMUM_AGE = 18

    SIGN_IN_IDLE_SECONDS = 12 * 3600
    RECOVERY_TOKEN_MAX_AGE = 3600
    RECOVERY_MAX_FAILURES = 5
    RECOVERY_LOCK_SECONDS = 3600

    # The support desk: staff sessions end after this long without a request.
    SUPPORT_IDLE_SECONDS = 3600
    # How long the link printed by `flask support add-staff` stays valid.
    SUPPORT_SETUP_MAX_AGE = 24 * 3600
    SUPPORT_LOGIN_RATE_LIMIT = "10 per minute; 60 per hour"

    # The payment password: wrong tries in a row before it locks, and for how long.
    PAYMENT_PASSWORD_MAX_FAILURES = 5
    PAYMENT_PASSWORD_LOCK_SECONDS = 3600
    # Requests to check a payment password (per account), beside the lock above.
    PAYMENT_PASSWORD_RATE_LIMIT = "30 per minute"
    # How long a shop's payment request can be confirmed.
    PAYMENT_REQUEST_TTL_SECONDS = 15 * 60
    # Per shop API key.
    PAYMENTS_API_RATE_LIMIT = "600 per minute"
    # A support-approved reset link of the payment password.
    PAYMENT_RESET_MAX_AGE = 24 * 3600
    # Failed desk sign-ins (per address, per IP) before each next one waits, doubling.
    SUPPORT_FREE_FAILURES = 3
    # An office behind one address: more room per IP than per staff address.
    SUPPORT_IP_FREE_FAILURES = 10
    SUPPORT_FIRST_DELAY_SECONDS = 30
    SUPPORT_MAX_DELAY_SECONDS = 3600
    # The name authenticator apps show beside the desk's codes.
    SUPPORT_TOTP_ISSUER = "Wallet support desk"
    # A Fernet key for the staff TOTP secrets; when empty, one is derived from SECRET_KEY
    # (then changing SECRET_KEY means enrolling every staff member again).
    SUPPORT_TOTP_KEY: str | None = None
    # How long a reviewer's claim on a request lasts before another may take it.
    REVIEW_CLAIM_SECONDS = 30 * 60


class DevelopmentConfig(Config):
    DEBUG = True
    SECRET_KEY = "development-only-secret-key-do-not-deploy"
    MAIL_SERVER = ""
    DEV_MAILBOX = True
    PSEUDO_LOCALE_ENABLED = True
    LANGUAGES = ["en", "ru", "fr"]
    DOCUMENT_KEYS = [derived_document_key(SECRET_KEY)]


def check_operator(config) -> None:
    """The names people read on every page and letter: a missing one would show as blank
    (or break every letter), so the start stops with the reason instead."""
    if not str(config.get("OPERATOR_NAME") or "").strip():
        raise ConfigError(
            "OPERATOR_NAME must be the operator's legal name: set PORTAL_OPERATOR_NAME"
        )
    names = config.get("MAIL_SENDER_NAMES") or {}
    if not isinstance(names, dict) or not all(
        isinstance(key, str) and isinstance(value, str) and value.strip()
        for key, value in names.items()
    ):
        raise ConfigError(
            'MAIL_SENDER_NAMES must map languages to names: PORTAL_MAIL_SENDER_NAMES=\'{"en":'
            ' "Wallet", "fr": "Portefeuille"}\''
        )


def development_base_url(port: str | None) -> str | None:
    """Development's BASE_URL on the port ``make run PORT=…`` serves, so the letters'
    links open the portal that sent them; None without a port."""
    if not port:
        return None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"PORT must be a port number (1-65535), not {port!r}")
    return f"http://127.0.0.1:{int(port)}"


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-only-secret-key"
    MAIL_SERVER = ""
    DEV_MAILBOX = True
    PSEUDO_LOCALE_ENABLED = True
    RATELIMIT_ENABLED = False
    CAPTCHA_FIXED_ANSWER = "TEST7"
    DOCUMENT_KEYS = [derived_document_key(SECRET_KEY)]
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # Cheap hashes keep the suite fast; the algorithm (argon2id) stays the same.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    BASE_URL = ""


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}

_KNOWN_DEFAULT_SECRETS = {DevelopmentConfig.SECRET_KEY, TestingConfig.SECRET_KEY}
_KNOWN_DEFAULT_DOCUMENT_KEYS = {*DevelopmentConfig.DOCUMENT_KEYS, *TestingConfig.DOCUMENT_KEYS}


# OWASP's argon2id table (47 MiB × 1 pass … 7 MiB × 5 passes): every row spends at least
# this much memory × passes, and none goes below 7 MiB.
ARGON2_MIN_MEMORY_KIB = 7168
ARGON2_MIN_MEMORY_TIMES_PASSES = 7168 * 5
# Bits of entropy a SECRET_KEY must show, counted from its own characters' frequencies
# (a random 32-character hex key shows ~110, 32 × "a" shows 0).
SECRET_KEY_MIN_BITS = 80


def secret_key_bits(secret: str) -> float:
    """The key's length times the Shannon entropy of its characters: a low figure means
    few distinct characters or a repeated pattern, whatever its length."""
    length = len(secret)
    if not length:
        return 0.0
    counts = Counter(secret)
    per_char = -sum(n / length * math.log2(n / length) for n in counts.values())
    for period in range(1, length // 2 + 1):
        if length % period == 0 and secret == secret[:period] * (length // period):
            # A repetition is worth no more than its first copy.
            return secret_key_bits(secret[:period]) if period > 1 else 0.0
    return per_char * length


def check_production(config) -> None:
    """Refuse settings that are only safe on a developer's machine."""
    secret = config.get("SECRET_KEY")
    if (
        not secret
        or secret in _KNOWN_DEFAULT_SECRETS
        or len(str(secret)) < 32
        or secret_key_bits(str(secret)) < SECRET_KEY_MIN_BITS
    ):
        raise ConfigError(
            "SECRET_KEY must be a random value of at least 32 characters: set PORTAL_SECRET_KEY"
            " (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    for key, reason in _DEVELOPMENT_SWITCHES:
        if _truthy(config.get(key)):
            raise ConfigError(f"{key} must be off in production ({reason}): unset PORTAL_{key}")
    if not _truthy(config.get("WTF_CSRF_ENABLED", True)):
        raise ConfigError(
            "WTF_CSRF_ENABLED must stay on in production (forms would accept forged posts):"
            " unset PORTAL_WTF_CSRF_ENABLED"
        )
    for key in ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY"):
        if not _truthy(config.get(key)):
            raise ConfigError(f"{key} must be true in production: unset PORTAL_{key}")
    if str(config.get("SESSION_COOKIE_SAMESITE")).lower() not in ("lax", "strict"):
        raise ConfigError(
            "SESSION_COOKIE_SAMESITE must be Lax or Strict in production: set"
            " PORTAL_SESSION_COOKIE_SAMESITE=Lax"
        )
    check_argon2(config)
    if (
        _truthy(config.get("RATELIMIT_ENABLED", True))
        and str(config.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory://")
        and not _truthy(config.get("RATELIMIT_ONE_WORKER"))
    ):
        raise ConfigError(
            "RATELIMIT_STORAGE_URI memory:// keeps separate counts in each worker: set it to a"
            " shared storage (redis://host:6379), or PORTAL_RATELIMIT_ONE_WORKER=true if"
            " gunicorn runs a single worker"
        )
    if config.get("CAPTCHA_FIXED_ANSWER"):
        raise ConfigError("CAPTCHA_FIXED_ANSWER is for development and testing only: unset it")
    if config.get("DEV_MAILBOX"):
        raise ConfigError("DEV_MAILBOX is for development only: unset PORTAL_DEV_MAILBOX")
    if config.get("PSEUDO_LOCALE_ENABLED"):
        raise ConfigError("PSEUDO_LOCALE_ENABLED is for development only: unset it")
    base_url = str(config.get("BASE_URL") or "")
    if not base_url.startswith("https://") or not urlsplit(base_url).hostname:
        raise ConfigError(
            "BASE_URL must be the portal's public https:// origin with its host: set"
            " PORTAL_BASE_URL"
        )
    check_document_keys(config)


_DEVELOPMENT_SWITCHES = [
    ("DEBUG", "the debugger runs code for anyone who can make an error"),
    ("TESTING", "errors propagate instead of showing the error page"),
]


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off", "none", "null")
    return bool(value)


def check_argon2(config) -> None:
    """Hashes must cost at least what OWASP's table asks for argon2id."""
    try:
        time_cost = int(config.get("ARGON2_TIME_COST"))
        memory_cost = int(config.get("ARGON2_MEMORY_COST"))
        parallelism = int(config.get("ARGON2_PARALLELISM"))
    except (TypeError, ValueError):
        raise ConfigError(
            "ARGON2_TIME_COST, _MEMORY_COST and _PARALLELISM must be numbers"
        ) from None
    if (
        time_cost < 1
        or parallelism < 1
        or memory_cost < ARGON2_MIN_MEMORY_KIB
        or memory_cost * time_cost < ARGON2_MIN_MEMORY_TIMES_PASSES
    ):
        raise ConfigError(
            f"ARGON2 parameters t={time_cost}, m={memory_cost} KiB are weaker than OWASP's"
            " minimum for argon2id (e.g. t=2, m=19456): unset PORTAL_ARGON2_TIME_COST and"
            " PORTAL_ARGON2_MEMORY_COST"
        )


def check_document_keys(config) -> None:
    """Production encrypts identity documents with its own keys, never a development one."""
    keys = document_keys(config.get("DOCUMENT_KEYS"))
    if not keys or _KNOWN_DEFAULT_DOCUMENT_KEYS & set(keys):
        raise ConfigError(
            "DOCUMENT_KEYS must hold the Fernet keys that encrypt identity documents, newest"
            " first: set PORTAL_DOCUMENT_KEYS"
            " (python -c 'from cryptography.fernet import Fernet;"
            " print(Fernet.generate_key().decode())')"
        )
    for position, key in enumerate(keys, 1):
        if not is_fernet_key(key):
            raise ConfigError(
                f"DOCUMENT_KEYS: key {position} is not a Fernet key (32 url-safe base64 bytes)"
            )


def is_fernet_key(key: str) -> bool:
    """What ``cryptography.fernet.Fernet(key)`` accepts, without importing cryptography
    (7 MB) into every web worker at start: 32 bytes in url-safe base64."""
    try:
        return len(base64.urlsafe_b64decode(key)) == 32
    except ValueError:
        return False
