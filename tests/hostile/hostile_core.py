"""The hostile set's machinery: a case, how its outcome is judged, and the tally.

Every case feeds kneeviz something a careless user, a broken exporter or a full disk would, and
is judged by what came out: a clean refusal (one KneevizError line naming the file or value), a
correct result (the case's own check of what was produced passes), a clean interruption
(KeyboardInterrupt or a signal, leaving no temporary file and the old file intact) or
MISHANDLED (a traceback, a hang past the time limit, a refusal that names nothing, a result that
fails its check). Each case runs under an alarm, so a read that blocks forever is a failure,
not a stuck test run.
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kneeviz.errors import KneevizError

REFUSED = "clean refusal"
RESULT = "correct result"
INTERRUPTED = "clean interruption"
MISHANDLED = "MISHANDLED"
OUTCOMES = (REFUSED, RESULT, INTERRUPTED, MISHANDLED)

TALLY: Counter[str] = Counter()
BY_GROUP: dict[str, Counter[str]] = {}
DETAILS: list[str] = []


class HangError(Exception):
    """The case ran past its time limit (a blocking read, a loop that does not end)."""


@dataclass(frozen=True)
class Case:
    group: str  # "mesh", "bone", "knee", "scenario", "cli", "output", "result"
    name: str
    run: Callable[[Path], str | None]
    """Does the hostile thing in a fresh folder; returns RESULT / INTERRUPTED after checking what
    it produced (or raises). None means: it returned without a verdict (MISHANDLED)."""
    names: tuple[str, ...] = ()
    """A refusal must mention one of these (the file, the option or the value)."""
    timeout_s: float = 20.0
    expect: tuple[str, ...] = (REFUSED, RESULT, INTERRUPTED)
    marks: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        return f"{self.group}:{self.name}"


@contextmanager
def alarm(seconds: float) -> Iterator[None]:
    def on_alarm(_sig: int, _frame: object) -> None:
        raise HangError(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def judge_refusal(exc: KneevizError, names: tuple[str, ...]) -> tuple[str, str]:
    text = str(exc)
    if "\n" in text:
        return MISHANDLED, f"refusal is not one line: {text[:200]!r}"
    if "Traceback" in text or len(text) > 700:
        return MISHANDLED, f"refusal is not a short message: {text[:200]!r}"
    if names and not any(n in text for n in names):
        return MISHANDLED, f"refusal names none of {names}: {text[:200]!r}"
    return REFUSED, text


def run_case(case: Case, folder: Path) -> tuple[str, str]:
    """(outcome, detail) of one case."""
    try:
        with alarm(case.timeout_s):
            verdict = case.run(folder)
    except KneevizError as exc:
        outcome, detail = judge_refusal(exc, case.names)
    except KeyboardInterrupt:
        outcome, detail = INTERRUPTED, "KeyboardInterrupt"
    except HangError as exc:
        outcome, detail = MISHANDLED, f"hang: {exc}"
    except AssertionError as exc:
        outcome, detail = MISHANDLED, f"wrong result: {exc}"
    except BaseException as exc:  # anything else is a traceback a user would see
        outcome, detail = MISHANDLED, f"{type(exc).__name__}: {str(exc)[:200]}"
    else:
        if verdict in (RESULT, INTERRUPTED):
            outcome, detail = verdict, ""
        else:
            outcome, detail = MISHANDLED, f"no verdict ({verdict!r})"
    if outcome not in case.expect and outcome != MISHANDLED:
        wanted = " or ".join(case.expect)
        outcome, detail = MISHANDLED, f"expected {wanted}, got {outcome}: {detail}"
    TALLY[outcome] += 1
    BY_GROUP.setdefault(case.group, Counter())[outcome] += 1
    if outcome == MISHANDLED:
        DETAILS.append(f"{case.id}: {detail}")
    return outcome, detail


def tally_lines() -> list[str]:
    total = sum(TALLY.values())
    lines = [f"hostile set: {total} cases: "
             + ", ".join(f"{TALLY[o]} {o}" for o in OUTCOMES)]
    for group, counts in sorted(BY_GROUP.items()):
        lines.append(f"  {group:<9} {sum(counts.values()):>4}: "
                     + ", ".join(f"{counts[o]} {o}" for o in OUTCOMES if counts[o]))
    lines += [f"  MISHANDLED {d}" for d in DETAILS]
    return lines
