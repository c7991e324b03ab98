"""Recognising the bot's messages in what a test saw, by key rather than by wording.

``say(lang, key, **params)`` gives the exact text when the test knows the parameters; when it
does not (a price, a balance computed elsewhere), ``is_message`` checks that a text is that
message with some parameters: the template's literal parts must all be there, in order.
"""

from __future__ import annotations

import re
import string

from presentation.catalogue import template
from presentation.keys import Key, M

# The messages that tell the user their minutes came back (a failed or stopped job).
MINUTES_RETURNED: tuple[Key, ...] = (
    M.no_minutes_real, M.err_no_speech, M.err_bad_media, M.err_no_sound, M.err_download, M.err_rejected,
    M.err_generic, M.err_timeout, M.err_outage, M.job_cancelled,
)


def _pattern(text: str) -> re.Pattern[str]:
    pieces = [re.escape(literal) + ("(.+?)" if name is not None else "")
              for literal, name, _, _ in string.Formatter().parse(text)]
    return re.compile("".join(pieces), re.DOTALL)


def is_message(text: str, key: Key, lang: str = "ru") -> bool:
    """``text`` is the message ``key`` in ``lang``, whatever its parameters."""
    return _pattern(template(lang, key)).fullmatch(text) is not None


def returns_minutes(text: str, lang: str = "ru") -> bool:
    """``text`` is one of the messages that say the minutes were returned."""
    return any(is_message(text, key, lang) for key in MINUTES_RETURNED)
