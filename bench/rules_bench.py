"""Benchmark for mapping rules (issue 3): compiled rules against hand-written lambdas and the rule-engine package.

Run from the repository root:  .venv/bin/python -m bench.rules_bench

Five representative rules over 100,000 generated members, timed in this one run:
  - the compiled rule against a hand-written lambda of the same predicate (goal: at most 1.5x its time);
  - the compiled rule against rule-engine on equivalent expressions (goal: faster);
  - the five rules as one RuleSet against a hand-written if-chain;
  - parsing and compiling a ~300-character rule.
The lambdas do what the rules promise (case-insensitive, whitespace collapsed, missing = empty), inlined as a
careful programmer would. rule-engine cannot collapse whitespace, so it only lower-cases: it does less work.
"""

import random
import time

import rule_engine

from rules import RuleSet, compile_rule

MEMBERS = 100_000
REPEATS = 9


# (our rule, the same predicate by hand, the equivalent rule-engine expression)
CASES = [
    (
        "group == Staff",
        lambda m: " ".join((m.get("group") or "").split()).casefold() == "staff",
        'group.as_lower == "staff"',
    ),
    (
        "group == Staff and role !~ teacher",
        lambda m: (" ".join((m.get("group") or "").split()).casefold() == "staff"
                   and "teacher" not in " ".join((m.get("role") or "").split()).casefold()),
        'group.as_lower == "staff" and "teacher" not in role.as_lower',
    ),
    (
        'group in (Governors, "Support Staff", Volunteers) or email $= @agency.co.uk',
        lambda m: (" ".join((m.get("group") or "").split()).casefold() in {"governors", "support staff", "volunteers"}
                   or " ".join((m.get("email") or "").split()).casefold().endswith("@agency.co.uk")),
        'group.as_lower in ["governors", "support staff", "volunteers"] or email.as_lower.ends_with("@agency.co.uk")',
    ),
    (
        "group == Staff and (role ^= head or role ~ teacher) and custom.department not in (Admin, Estates)",
        lambda m: (" ".join((m.get("group") or "").split()).casefold() == "staff"
                   and ((role := " ".join((m.get("role") or "").split()).casefold()).startswith("head")
                        or "teacher" in role)
                   and " ".join(((m.get("custom") or {}).get("department") or "").split()).casefold()
                   not in {"admin", "estates"}),
        'group.as_lower == "staff" and (role.as_lower.starts_with("head") or "teacher" in role.as_lower) '
        'and custom.department.as_lower not in ["admin", "estates"]',
    ),
    (
        "email is not empty and not (first_name is empty or last_name is empty) and role !~ supply",
        lambda m: ((m.get("email") or "").strip() != ""
                   and not ((m.get("first_name") or "").strip() == "" or (m.get("last_name") or "").strip() == "")
                   and "supply" not in " ".join((m.get("role") or "").split()).casefold()),
        'email != "" and not (first_name == "" or last_name == "") and "supply" not in role.as_lower',
    ),
]

def by_hand_first_match(m):
    """The five rules as a hand-written if-chain (rule 5 first, as in the RuleSet below)."""
    group = " ".join((m.get("group") or "").split()).casefold()
    role = " ".join((m.get("role") or "").split()).casefold()
    email = " ".join((m.get("email") or "").split()).casefold()
    if (email != "" and not ((m.get("first_name") or "").strip() == "" or (m.get("last_name") or "").strip() == "")
            and "supply" not in role):
        return "Agency Staff"
    if group == "staff" and "teacher" in role:
        return "Teaching Staff"
    if group == "staff":
        return "Support Staff"
    if group in {"governors", "support staff", "volunteers"} or email.endswith("@agency.co.uk"):
        return "Governors"
    if group == "contractors":
        return "Contractors"
    return None


RULE_SET = [
    ("Agency Staff", CASES[4][0]),
    ("Teaching Staff", "group == Staff and role ~ teacher"),
    ("Support Staff", "group == Staff"),
    ("Governors", CASES[2][0]),
    ("Contractors", "group == Contractors"),
]

LONG_RULE = (
    '(group in (Staff, "Support Staff", Governors, 12, 14) and role !~ supply and role !~ "cover supervisor") '
    'or (email $= @agency.co.uk and custom."Agency Name" is not empty) '
    'or (group == Volunteers and not (first_name is empty or last_name is empty)) '
    'or custom.department in (Science, Maths, English, "Modern Languages", Art, Music, Drama)'
)


def generate_members(count: int, seed: int = 3) -> list[dict]:
    pick = random.Random(seed)
    groups = ["Staff", "staff", " STAFF ", "Support  Staff", "Governors", "Volunteers", "Contractors", "Visitors"]
    roles = ["Teacher of Maths", "Head of Science", "Teaching Assistant", "Supply Teacher", "Cleaner", "Caretaker",
             "Office Manager", "", None]
    departments = ["Science", "Maths", "Admin", "Estates", "English", None]
    members = []
    for index in range(count):
        first, last = pick.choice(["Jo", "Sam", "", None]), pick.choice(["Smith", "O'Neil", "", None])
        members.append({
            "group": pick.choice(groups),
            "group_id": pick.randint(10, 20),
            "role": pick.choice(roles),
            "email": pick.choice([f"person{index}@school.org", f"p{index}@agency.co.uk", "", None]),
            "first_name": first,
            "last_name": last,
            "custom": {"department": pick.choice(departments), "Agency Name": pick.choice(["Reed", ""])},
        })
    return members


def one_pass(function, members) -> tuple[float, list]:
    started = time.perf_counter()
    answers = [function(member) for member in members]
    return time.perf_counter() - started, answers


def race(ours, theirs, members) -> tuple[float, float]:
    """Fastest of REPEATS passes each, taken in turns so that load on the machine falls on both alike."""
    our_times, their_times = [], []
    for _ in range(REPEATS):
        our_time, our_answers = one_pass(ours, members)
        their_time, their_answers = one_pass(theirs, members)
        assert our_answers == their_answers, f"{theirs.__name__} disagrees with {ours.__name__}"
        our_times.append(our_time)
        their_times.append(their_time)
    return min(our_times), min(their_times)


def main():
    started = time.perf_counter()
    compile_rule("group == Staff")
    first_compile = time.perf_counter() - started

    members = generate_members(MEMBERS)
    engine_members = [{key: ("" if value is None else value) for key, value in m.items()} for m in members]
    context = rule_engine.Context(default_value="")
    print(f"{MEMBERS:,} members; best of {REPEATS} passes (rule-engine: 1 pass)\n")
    print(f"{'rule':<60} {'ours ms':>8} {'lambda ms':>9} {'x lambda':>8} {'engine ms':>9} {'x engine':>8}")
    for rule_text, by_hand, engine_text in CASES:
        rule = compile_rule(rule_text)
        ours, lambda_time = race(rule.matches, by_hand, members)
        engine_time, _ = one_pass(rule_engine.Rule(engine_text, context=context).matches, engine_members)
        shown = rule_text if len(rule_text) <= 58 else rule_text[:55] + "..."
        print(f"{shown:<60} {ours * 1000:8.1f} {lambda_time * 1000:9.1f} {ours / lambda_time:8.2f} "
              f"{engine_time * 1000:9.1f} {ours / engine_time:8.3f}")

    rule_set = RuleSet(RULE_SET)
    ours, by_hand = race(rule_set.match, by_hand_first_match, members)
    print(f"\nRuleSet of the five rules, first match: {ours * 1000:.1f} ms; hand-written if-chain "
          f"{by_hand * 1000:.1f} ms; ratio {ours / by_hand:.2f}")

    runs = 200
    started = time.perf_counter()
    for _ in range(runs):
        compile_rule(LONG_RULE)
    each = (time.perf_counter() - started) / runs
    print(f"parse + compile of a {len(LONG_RULE)}-character rule: {each * 1000:.2f} ms "
          f"(the first rule of the process, which also builds the parser: {first_compile * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
