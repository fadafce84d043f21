"""What goes wrong in a mapping rule, said so that an admin can fix it: message, position and caret."""

from dataclasses import dataclass


# A longer line is shown as the stretch around the caret, so the error about an overlong rule stays short.
SNIPPET_WIDTH = 80
ELLIPSIS = "…"


def caret_snippet(text: str, line: int, column: int) -> str:
    """The rule's `line` with a caret under `column` (both 1-based); tabs are kept so the caret lines up."""
    lines = text.splitlines() or [""]
    source = lines[min(max(line, 1), len(lines)) - 1]
    before, after = "", ""
    if len(source) > SNIPPET_WIDTH:
        start = max(0, min(column - 1 - SNIPPET_WIDTH // 2, len(source) - SNIPPET_WIDTH))
        before = ELLIPSIS if start else ""
        after = ELLIPSIS if start + SNIPPET_WIDTH < len(source) else ""
        source, column = source[start:start + SNIPPET_WIDTH], column - start
    indent = " " * len(before) + "".join("\t" if char == "\t" else " " for char in source[: max(column - 1, 0)])
    indent += " " * max(column - 1 - len(source), 0)
    return f"{before}{source}{after}\n{indent}^"


class RuleError(ValueError):
    """A rule that cannot be read. Every failure to parse or compile a rule is one of these."""

    def __init__(self, message: str, text: str, line: int, column: int):
        super().__init__(message)
        self.message = message
        self.text = text
        self.line = line
        self.column = column
        self.snippet = caret_snippet(text, line, column)

    def __str__(self) -> str:
        return f"{self.message} (line {self.line}, column {self.column})\n{self.snippet}"

    def to_dict(self) -> dict:
        return {"message": self.message, "line": self.line, "column": self.column, "snippet": self.snippet}


@dataclass(frozen=True)
class RuleWarning:
    """Something in a valid rule that is probably a mistake, such as a group the organisation does not have."""

    message: str
    text: str
    line: int
    column: int

    @property
    def snippet(self) -> str:
        return caret_snippet(self.text, self.line, self.column)

    def __str__(self) -> str:
        return f"{self.message} (line {self.line}, column {self.column})\n{self.snippet}"

    def to_dict(self) -> dict:
        return {"message": self.message, "line": self.line, "column": self.column, "snippet": self.snippet}
