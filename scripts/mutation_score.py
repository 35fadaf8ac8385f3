"""The mutation score of `make mutate`: `mutmut results --all true` on stdin, the mutant globs as arguments.

score = (killed + timeout) / (killed + timeout + survived + suspicious), over the mutants the globs select,
as mutmut counts it; mutants not run yet are listed apart.  Prints one line per module, then the total.
With ``--pending`` first, prints instead the names of the selected mutants not run yet, one a line: what
`make mutate-resume` gives `mutmut run` (exact names: a pattern would make mutmut run its mutants again).
"""

from __future__ import annotations

import collections
import fnmatch
import re
import sys

CAUGHT = ("killed", "timeout")
MISSED = ("survived", "suspicious", "no tests")


def selected(lines, globs):
    """(name, status) of each mutant the globs select, from 'name: status' lines."""
    for line in lines:
        name, sep, status = line.strip().rpartition(": ")
        if sep and any(fnmatch.fnmatchcase(name, g) for g in globs):
            yield name, status


def score(lines, globs) -> dict[str, collections.Counter]:
    """Status counts per module of the selected mutants."""
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for name, status in selected(lines, globs):
        counts[re.sub(r"\.x[_ǁ].*", "", name)][status] += 1
    return counts


def line(label: str, counts: collections.Counter) -> str:
    caught, missed = sum(counts[s] for s in CAUGHT), sum(counts[s] for s in MISSED)
    share = f"{caught / (caught + missed):.1%}" if caught + missed else "-"
    return (f"{label}: {share} ({caught} caught of {caught + missed} run; survived {counts['survived']}, "
            f"no tests {counts['no tests']}, not run {counts['not checked']})")


def pending(lines, globs) -> list[str]:
    """The selected mutants mutmut has not run ("not checked"), in its order."""
    return [name for name, status in selected(lines, globs) if status == "not checked"]


def main(argv: list[str]) -> int:
    if argv[:1] == ["--pending"]:
        for name in pending(sys.stdin, argv[1:]):
            print(name)
        return 0
    counts = score(sys.stdin, argv)
    for module in sorted(counts):
        print(line(module, counts[module]))
    print(line("mutation score", sum(counts.values(), collections.Counter())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
