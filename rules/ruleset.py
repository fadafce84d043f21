"""An organisation's mapping rules in order: the first enabled rule a member matches gives the profile type."""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .compiler import Matcher, compile_first_match
from .explain import Explanation
from .rule import Rule, compile_rule


@dataclass(frozen=True)
class MappingEntry:
    """One row of the rule set: members matching `rule` become `profile_type` (any object: a name, a model…)."""

    profile_type: Any
    rule: Rule
    enabled: bool = True


class RuleSet:
    """Ordered (profile type, rule, enabled) entries, compiled together into one `match(member)`.

    `match` is called for every member during a sync: it normalises the fields the enabled rules read once,
    then tries the rules in order. Rules may be given as text (compiled here, raising RuleError) or as Rules.
    """

    match: Matcher

    def __init__(self, entries: Iterable[tuple[Any, Rule | str] | tuple[Any, Rule | str, bool]] = ()):
        self.entries = tuple(_entry(*row) for row in entries)
        enabled = [entry for entry in self.entries if entry.enabled]
        self.match = compile_first_match([entry.rule.condition for entry in enabled],
                                         [entry.profile_type for entry in enabled])

    def explain(self, member: Mapping) -> list[tuple[MappingEntry, Explanation]]:
        """Each enabled entry tried for this member, in order, up to and including the one that matched."""
        tried = []
        for entry in self.entries:
            if entry.enabled:
                explanation = entry.rule.explain(member)
                tried.append((entry, explanation))
                if explanation.matched:
                    break
        return tried

    def __iter__(self) -> Iterator[MappingEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return f"RuleSet({[(entry.profile_type, entry.rule.canonical, entry.enabled) for entry in self.entries]!r})"


def _entry(profile_type: Any, rule: Rule | str, enabled: bool = True) -> MappingEntry:
    return MappingEntry(profile_type, rule if isinstance(rule, Rule) else compile_rule(rule), enabled)
