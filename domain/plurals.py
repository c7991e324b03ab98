"""Plural forms of the interface languages, by the CLDR plural rules (cardinal numbers).

- ``en``: ``one`` (1) and ``other`` (0, 2, 5, 1.5 ...);
- ``ru``: ``one`` (1, 21, 101 ...), ``few`` (2-4, 22-24 ...), ``many`` (0, 5-20, 25-30, 11-14,
  111 ...), and ``other`` for fractions (1.5), which Russian words take in the ``few`` form.

``choose(lang, n, forms)`` picks one of ``forms``, given in the order of ``CATEGORIES[lang]``
(a missing ``other`` falls back to ``few``, else to the last form given). Languages without rules
here use the English ones. The message catalogue writes plurals as ``{n:plural:…}``
(``presentation.catalogue``); every message that shows a count goes through this module.
"""

from __future__ import annotations

from collections.abc import Sequence

CATEGORIES: dict[str, tuple[str, ...]] = {
    "en": ("one", "other"),
    "ru": ("one", "few", "many", "other"),
}


def plural_category(lang: str, n: float) -> str:
    """The CLDR cardinal plural category of ``n`` in ``lang`` (English rules for unknown languages)."""
    is_int = float(n).is_integer()
    i = abs(int(n))
    if lang == "ru":
        if not is_int:
            return "other"
        if i % 10 == 1 and i % 100 != 11:
            return "one"
        if 2 <= i % 10 <= 4 and not 12 <= i % 100 <= 14:
            return "few"
        return "many"
    return "one" if is_int and i == 1 else "other"


def choose(lang: str, n: float, forms: Sequence[str]) -> str:
    """The form of ``forms`` (ordered as ``CATEGORIES[lang]``) that agrees with ``n``."""
    if not forms:
        raise ValueError("no plural forms given")
    categories = CATEGORIES.get(lang, CATEGORIES["en"])
    by_category = dict(zip(categories, forms, strict=False))
    category = plural_category(lang if lang in CATEGORIES else "en", n)
    if category in by_category:
        return by_category[category]
    if category == "other" and "few" in by_category:
        return by_category["few"]
    return forms[-1]
