"""portal.wordlists finds exactly what zxcvbn's own dictionary matcher finds."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zxcvbn import matching, zxcvbn

from portal import passwords, wordlists

LISTED = sorted({word for ranked in matching.RANKED_DICTIONARIES.values() for word in ranked})
# Listed words (long ones too), l33t and keyboard characters, any other text.
pieces = st.one_of(
    st.sampled_from(LISTED[::37] + ["correcthorsebatterystaple", "pneumonoultramicroscopic"]),
    st.sampled_from(["4", "@", "3", "0", "1", "$", "7", "9", "-", " ", "İ", "ß", "Σ"]),
    st.text(max_size=4),
)
some_passwords = st.lists(pieces, max_size=8).map("".join)
user_inputs = st.lists(st.one_of(st.sampled_from(LISTED[::101]), st.text(max_size=12)), max_size=6)


def with_inputs(inputs):
    """zxcvbn's dictionaries as it passes them: its own lists, and the user's words."""
    sanitized = [word.lower() for word in inputs]
    return {**matching.RANKED_DICTIONARIES, "user_inputs": matching.build_ranked_dict(sanitized)}


@settings(max_examples=400, deadline=None)
@given(some_passwords, user_inputs)
def test_the_same_matches_in_the_same_order(password, inputs):
    dictionaries = with_inputs(inputs)
    assert wordlists.dictionary_match(password, dictionaries) == (
        wordlists.ZXCVBN_DICTIONARY_MATCH(password, dictionaries)
    )


@pytest.mark.parametrize(
    "password",
    ["velvet-otter-lantern-92", "p4ssw0rd", "drowssap", "correcthorsebatterystaple", "İstanbul"],
)
def test_known_words_are_found(password):
    dictionaries = with_inputs(["jean", "dupont"])
    found = wordlists.dictionary_match(password, dictionaries)
    assert found == wordlists.ZXCVBN_DICTIONARY_MATCH(password, dictionaries)
    assert found or password == "drowssap"  # reversed: only the reversed matcher sees it


def test_zxcvbn_uses_it():
    assert matching.dictionary_match is wordlists.dictionary_match


@settings(max_examples=150, deadline=None)
@given(some_passwords.filter(bool).map(lambda text: text[: passwords.ESTIMATE_LENGTH]), user_inputs)
def test_the_same_estimate_as_zxcvbn_alone(password, inputs):
    """(zxcvbn fails on an empty password; the portal never asks it about one.)"""
    ours = zxcvbn(password, user_inputs=inputs)
    matching.dictionary_match = wordlists.ZXCVBN_DICTIONARY_MATCH
    try:
        theirs = zxcvbn(password, user_inputs=inputs)
    finally:
        wordlists.install()
    assert (ours["guesses"], ours["score"], ours["sequence"]) == (
        theirs["guesses"],
        theirs["score"],
        theirs["sequence"],
    )
