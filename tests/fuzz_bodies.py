"""Hypothesis strategies for request bodies of every shape a client can send to a form.

A browser sends ``application/x-www-form-urlencoded`` or ``multipart/form-data`` with text
under the form's own field names. Anything else can arrive too: fields missing, repeated or
unknown, files where text belongs, JSON, other content types, bytes that are not UTF-8,
control characters, confusables and bidirectional marks, values up to the size limit, and
more fields than any form has.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

# Characters a keyboard rarely types but a client can send.
ODD_CHARACTERS = [
    "\x00",
    "\x01",
    "\x1b",
    "\x7f",
    "\r\n",
    "\t",
    "\u200b",  # zero-width space
    "\u200e",  # left-to-right mark
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\ufeff",  # byte order mark
    "\ufffd",
    "\U0001f600",
    "\u0430",  # Cyrillic a, a Latin look-alike
    "\u0435",  # Cyrillic e
    "\uff21",  # fullwidth A
    "\u0301",  # a combining accent on nothing
    "ﬁ",  # a ligature NFKC unfolds
    "<script>",
    "' OR 1=1 --",
    "%s%n",
    "{{7*7}}",
    "../",
]

odd_text = st.lists(
    st.one_of(st.sampled_from(ODD_CHARACTERS), st.text(max_size=8)), max_size=12
).map("".join)
long_text = st.builds(
    lambda char, n: char * n,
    st.sampled_from(["a", "я", "9", " ", "\u202e"]),
    st.integers(1, 40_000),
)
numbers = st.one_of(st.integers(), st.floats(allow_nan=True)).map(str)
values = st.one_of(st.text(max_size=40), odd_text, long_text, numbers, st.just(""))
field_names = st.one_of(st.text(min_size=1, max_size=20), st.sampled_from(["", "[]", "a[b]"]))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


# Stands for the CSRF token of the client that sends the body (known only when it is sent:
# a client rebuilt between examples has a new session, so a new token).
TOKEN = "CSRFTOKEN"


def with_token(value, token: str):
    if isinstance(value, str):
        return value.replace(TOKEN, token)
    if isinstance(value, bytes):
        return value.replace(TOKEN.encode(), token.encode())
    if isinstance(value, list):
        return [with_token(item, token) for item in value]
    if isinstance(value, tuple):
        return tuple(with_token(item, token) for item in value)
    if isinstance(value, dict):
        return {key: with_token(item, token) for key, item in value.items()}
    return value


@dataclass
class Body:
    """One request body: what ``client.post`` is given, and a line for the report."""

    kind: str
    data: object = None
    content_type: str | None = None
    headers: dict | None = None

    def post(self, client, path: str, token: str):
        kwargs = {"headers": with_token(self.headers or {}, token)}
        if self.content_type:
            kwargs["content_type"] = self.content_type
        data = with_token(self.data, token)
        if isinstance(data, list):
            data = MultiDict(
                (name, value.open() if isinstance(value, Upload) else value) for name, value in data
            )
        return client.post(path, data=data, **kwargs)

    def __repr__(self) -> str:
        shown = repr(self.data)
        shown = shown if len(shown) <= 300 else shown[:300] + "…"
        return f"Body({self.kind}, {self.content_type}, {shown})"


def form_bodies(fields: list[str]):
    """Bodies aimed at a form with these field names, with the client's CSRF token most of
    the time (so that the form's own checks are reached), sometimes without or mangled.

    Most bodies are the whole form with some values odd (text, a file, a JSON value of
    another type), since a check is reached only when the others pass; the rest are
    shapeless: fields missing, repeated, unknown, too many, other content types."""
    csrf = TOKEN
    names = st.one_of(st.sampled_from(fields), field_names) if fields else field_names
    tokens = st.sampled_from([csrf, csrf, csrf, csrf, "", csrf + "x"])
    extra = st.lists(st.tuples(names, values), max_size=6)
    whole = st.fixed_dictionaries({name: values for name in fields}).map(lambda d: [*d.items()])
    whole_with_files = st.fixed_dictionaries(
        {name: st.one_of(values, st.binary(max_size=60).map(Upload)) for name in fields}
    ).map(lambda d: [*d.items()])
    whole_json = st.fixed_dictionaries({name: json_values for name in fields})
    return st.one_of(
        st.builds(urlencoded, tokens, whole),
        st.builds(urlencoded, tokens, st.tuples(whole, extra).map(lambda t: t[0] + t[1])),
        st.builds(urlencoded, tokens, extra),
        st.builds(raw_urlencoded, tokens, st.lists(st.tuples(names, st.binary(max_size=30)))),
        st.builds(multipart, tokens, whole_with_files),
        st.builds(
            multipart, tokens, st.lists(st.tuples(names, st.binary(max_size=60).map(Upload)))
        ),
        st.builds(json_body, tokens, whole_json, st.booleans()),
        st.builds(json_body, tokens, json_values, st.booleans()),
        st.builds(other_body, tokens, st.binary(max_size=200), other_content_types),
        st.builds(many_fields, tokens, st.integers(100, 3000)),
    )


other_content_types = st.one_of(
    st.sampled_from(
        [
            "text/plain",
            "application/xml",
            "application/octet-stream",
            "multipart/form-data",  # no boundary
            "multipart/form-data; boundary=",
            "application/x-www-form-urlencoded; charset=utf-16",
            "application/json; charset=latin-1",
            "",
        ]
    ),
    # A header value cannot hold a line break; any other printable text can arrive.
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
)


def urlencoded(csrf: str, pairs: list[tuple[str, str]]) -> Body:
    return Body("urlencoded", [("csrf_token", csrf), *pairs])


def raw_urlencoded(csrf: str, pairs: list[tuple[str, bytes]]) -> Body:
    """Percent-encoded bytes that need not be UTF-8."""
    encoded = "&".join(
        f"{quote_from_bytes(name.encode('utf-8', 'surrogatepass'))}={quote_from_bytes(value)}"
        for name, value in [("csrf_token", csrf.encode()), *pairs]
    )
    return Body("raw urlencoded", encoded.encode(), "application/x-www-form-urlencoded")


def multipart(csrf: str, pairs) -> Body:
    """Text fields, and files under any name (a text field's name included)."""
    return Body("multipart", [("csrf_token", csrf), *pairs], "multipart/form-data")


@dataclass(frozen=True)
class Upload:
    """A file part; opened afresh for each post (a stream is read once)."""

    content: bytes
    filename: str = "file.bin"

    def open(self):
        from io import BytesIO

        return (BytesIO(self.content), self.filename)


def json_body(csrf: str, payload, token_in_header: bool) -> Body:
    headers = {"X-CSRFToken": csrf} if token_in_header else {}
    if not token_in_header and isinstance(payload, dict):
        payload = {**payload, "csrf_token": csrf}
    return Body("json", json.dumps(payload), "application/json", headers)


def other_body(csrf: str, content: bytes, content_type: str) -> Body:
    return Body("other", content, content_type or None, {"X-CSRFToken": csrf})


def many_fields(csrf: str, count: int) -> Body:
    return Body("many fields", [("csrf_token", csrf), *((f"f{i}", "x") for i in range(count))])
