"""zxcvbn's dictionary matcher, finding the same words while looking up far fewer.

zxcvbn looks every substring of the password up in each of its seven dictionaries: a
23-character password is 276 substrings, 1,932 lookups, five times over (the password,
reversed, and each l33t reading). Its word lists are big (94,000 words), so when a
worker has just hashed a password (19 MiB through the caches) each lookup is a cache
miss, and those misses were a third of the strength check.

A substring can only be a listed word if the list has a word starting with its first
:data:`PREFIX` characters, no longer than the longest such word. :func:`dictionary_match`
asks a small table (6,000 prefixes, 0.2 MB) how far a word can reach from each position
and looks up only those substrings. The matches, their ranks, their order, and so every
score and every reason shown, are exactly zxcvbn's own (tests compare the two).

The table is built once, at import, from the lists zxcvbn has loaded: under gunicorn's
``preload_app`` the workers share it. Dictionaries zxcvbn is given later (the user's
inputs, a new one each call) are small; they are looked up up to their longest word.
"""

from __future__ import annotations

from collections.abc import Mapping

from zxcvbn import matching

PREFIX = 3

ZXCVBN_DICTIONARY_MATCH = matching.dictionary_match


def _reach(dictionaries: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """For each prefix of PREFIX characters, the length of the longest word it starts."""
    reach: dict[str, int] = {}
    for ranked in dictionaries.values():
        for word in ranked:
            if len(word) >= PREFIX and reach.get(word[:PREFIX], 0) < len(word):
                reach[word[:PREFIX]] = len(word)
    return reach


# The dictionaries the table covers, by identity: zxcvbn puts a new dict under
# "user_inputs" on every call, and that one is looked up in full.
_INDEXED = {name: ranked for name, ranked in matching.RANKED_DICTIONARIES.items()}
_REACH = _reach(_INDEXED)


def dictionary_match(password, _ranked_dictionaries=matching.RANKED_DICTIONARIES):
    """zxcvbn's ``matching.dictionary_match``: the same matches, in the same order."""
    # (name, words, covered by the table, longest word when not)
    dictionaries = [
        (name, ranked, True, 0)
        if _INDEXED.get(name) is ranked
        else (name, ranked, False, max(map(len, ranked), default=0))
        for name, ranked in _ranked_dictionaries.items()
    ]
    longest_other = max((longest for *_, longest in dictionaries), default=0)
    matches = []
    length = len(password)
    password_lower = password.lower()
    for i in range(length):
        # Words shorter than PREFIX can start anywhere.
        indexed_end = i + max(_REACH.get(password_lower[i : i + PREFIX], 0), PREFIX - 1)
        end = min(length, max(indexed_end, i + longest_other))
        for j in range(i, end):
            word = password_lower[i : j + 1]
            size = j - i + 1
            for dictionary_name, ranked, indexed, longest in dictionaries:
                if (j < indexed_end if indexed else size <= longest) and word in ranked:
                    matches.append(
                        {
                            "pattern": "dictionary",
                            "i": i,
                            "j": j,
                            "token": password[i : j + 1],
                            "matched_word": word,
                            "rank": ranked[word],
                            "dictionary_name": dictionary_name,
                            "reversed": False,
                            "l33t": False,
                        }
                    )
    # Already in (i, j) order, dictionaries in zxcvbn's order within one (i, j): the
    # stable sort zxcvbn ends with leaves it so.
    return matches


def install() -> None:
    """Make zxcvbn (its dictionary, reversed, l33t and repeat matchers) use this one."""
    matching.dictionary_match = dictionary_match
