""" "Did you mean …@gmail.com?": the providers people in Russia, France and Britain use,
and the address nearest to what was typed when its domain is one slip away from one.

No library: pymailcheck (the port of mailcheck.js) has had no release since 2021 and
knows none of the Russian or French providers; email-typo-fixer corrects silently,
where the person must choose. A list and an edit distance are 60 lines we can test.
"""

from __future__ import annotations

from wtforms import HiddenField

# The providers most addresses of our three markets end with. Listed too: real domains
# one letter from them (mail.com, yahoo.de, hotmail.de …), so they are never "corrected".
PROVIDERS = {
    "ru": (
        "yandex.ru",
        "ya.ru",
        "mail.ru",
        "bk.ru",
        "list.ru",
        "inbox.ru",
        "internet.ru",
        "rambler.ru",
        "yandex.com",
        "yandex.by",
        "yandex.kz",
        "yandex.ua",
    ),  # fmt: skip
    "fr": (
        "orange.fr",
        "free.fr",
        "laposte.net",
        "sfr.fr",
        "wanadoo.fr",
        "neuf.fr",
        "hotmail.fr",
        "outlook.fr",
        "yahoo.fr",
        "live.fr",
        "gmx.fr",
        "aol.fr",
        "bbox.fr",
    ),  # fmt: skip
    "en": (
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "outlook.com",
        "live.com",
        "live.co.uk",
        "msn.com",
        "yahoo.com",
        "yahoo.co.uk",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "btinternet.com",
        "sky.com",
        "virginmedia.com",
        "mail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "yahoo.de",
        "yahoo.es",
        "yahoo.it",
        "hotmail.de",
        "hotmail.es",
        "hotmail.it",
        "outlook.de",
        "outlook.es",
        "live.de",
        "web.de",
        "mail.de",
        "ya.ru",
    ),  # fmt: skip
}
SHORTEST = 5  # below this, too many real domains are one letter from a provider


def distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment): a swap of two neighbours, as in
    gmial, costs one edit like a missing, extra or wrong letter."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = char_a != char_b
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def providers_for(language: str) -> tuple[str, ...]:
    """The reader's market first: a tie goes to the provider they more likely use."""
    others = [code for code in PROVIDERS if code != language]
    ordered = [*PROVIDERS.get(language, ()), *(d for code in others for d in PROVIDERS[code])]
    return tuple(dict.fromkeys(ordered))


def suggestion(address: str, language: str = "en") -> str | None:
    """The address with its domain replaced by the nearest provider's, when the typed
    domain is none of them and one or two slips away (two only for longer domains)."""
    local, at, domain = address.rpartition("@")
    domain = domain.lower()
    if not at or not local or len(domain) < SHORTEST:
        return None
    known = providers_for(language)
    if domain in known:
        return None
    allowed = 1 if len(domain) < 9 else 2
    best, best_distance = None, allowed + 1
    for provider in known:
        edits = distance(domain, provider)
        if edits < best_distance:
            best, best_distance = provider, edits
    return f"{local}@{best}" if best else None


class SuggestsAddress:
    """Mixed into a form with an ``email`` field (an ``EmailAddressField``): a likely
    typo is shown once, with a button that takes the suggestion (``suggested_email``);
    sent again unchanged, the address is kept as typed."""

    # The address a suggestion was shown for.
    email_checked = HiddenField()
    suggestion: str | None = None

    def take_suggestion(self, suggested: str | None) -> None:
        """ "Use name@gmail.com": the suggested address replaces the typed one."""
        if suggested:
            self.email.data = suggested
            self.email_checked.data = suggested

    def typo_suggestion(self, language: str) -> str | None:
        """An address one slip from a common provider's, unless already shown for it."""
        address = self.email.cleaned
        if not address or self.email_checked.data == address:
            return None
        self.suggestion = suggestion(address, language)
        self.email_checked.data = address if self.suggestion else ""
        return self.suggestion
