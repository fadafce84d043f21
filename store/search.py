"""What a search box's text becomes before it reaches a query: a few words of bounded length.

The profiles, students and diagnostics search boxes all read their text through `search_terms`, so a
pasted essay cannot build a query nested too deeply to write out, a 50,000-character word cannot make a
slow pattern, and a control character (NUL, which PostgreSQL refuses in text) never reaches the database.
Each word is matched with LIKE; `containing` makes a pattern in which % and _ are the characters themselves.
"""
import re
from dataclasses import dataclass

from peewee import SQL, NodeList, Value

MAX_WORDS = 10
MAX_WORD_LENGTH = 100

# C0 and C1 control characters; whitespace among them has already split the words.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LIKE_SPECIAL = re.compile(r"([\\%_])")


@dataclass(frozen=True)
class SearchTerms:
    """The words searched for, and what was left out of the text to keep the search bounded."""

    words: tuple[str, ...]
    dropped_words: int = 0
    shortened: bool = False

    @property
    def notice(self) -> str | None:
        """What the page says when not all of the text was searched; None when it all was."""
        notes = []
        if self.dropped_words:
            notes.append(f"Only the first {MAX_WORDS} words were searched.")
        if self.shortened:
            notes.append(f"Words longer than {MAX_WORD_LENGTH} characters were searched by their first {MAX_WORD_LENGTH}.")
        return " ".join(notes) or None


def search_terms(text: str) -> SearchTerms:
    """The first MAX_WORDS words of `text`, each cut to MAX_WORD_LENGTH characters, control characters removed."""
    words = [word for word in (_CONTROL.sub("", word) for word in (text or "").split()) if word]
    kept = words[:MAX_WORDS]
    return SearchTerms(
        words=tuple(word[:MAX_WORD_LENGTH] for word in kept),
        dropped_words=len(words) - len(kept),
        shortened=any(len(word) > MAX_WORD_LENGTH for word in kept),
    )


def search_phrase(text: str) -> str:
    """The text of a box searched as one phrase (a name, an email, an audit subject), bounded like
    `search_terms`: its first MAX_WORDS words, each of at most MAX_WORD_LENGTH characters."""
    return " ".join(search_terms(text).words)


def containing(text: str) -> NodeList:
    """A LIKE pattern matching any text that contains `text` as it is written (% and _ are not wildcards).

    For columns whose own converter must not touch the pattern (a JSON column); a text field's
    `.contains()` escapes the same way already.
    """
    escaped = _LIKE_SPECIAL.sub(r"\\\1", text)
    return NodeList((Value(f"%{escaped}%", converter=False), SQL("ESCAPE"), Value("\\", converter=False)))
