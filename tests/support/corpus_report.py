"""``make corpus``: run every spec of ../shared/corpus through the whole pipeline (no writing).

Prints how many build, how many are refused and why (diagnostic codes), and any crash, which
would be a naftiko-gen bug. Not part of ``make test``: the corpus is not in this repository.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

from naftiko_gen.build import generate
from naftiko_gen.diagnostics import Level, SpecError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--examples", type=int, default=1, help="example files per refusal code")
    args = parser.parse_args(argv)
    files = sorted(p for p in args.corpus.rglob("*") if p.suffix in (".yaml", ".yml"))
    built = 0
    refused: collections.Counter[str] = collections.Counter()
    warnings: collections.Counter[str] = collections.Counter()
    examples: dict[str, list[str]] = collections.defaultdict(list)
    crashes: list[str] = []
    started = time.perf_counter()
    for path in files:
        try:
            generated = generate(path)
        except SpecError as exc:
            codes = {d.code for d in exc.diagnostics if d.level is Level.ERROR}
            for code in codes:
                refused[code] += 1
                if len(examples[code]) < args.examples:
                    first = next(d for d in exc.diagnostics if d.code == code)
                    examples[code].append(first.format())
            continue
        except Exception as exc:  # a crash is a naftiko-gen bug: report it, keep going
            crashes.append(f"{path}: {type(exc).__name__}: {exc}")
            continue
        built += 1
        warnings.update({d.code for d in generated.diagnostics})
    elapsed = time.perf_counter() - started
    refused_count = len(files) - built - len(crashes)
    print(
        f"{len(files)} specs in {elapsed:.1f} s: {built} build, "
        f"{refused_count} refused, {len(crashes)} crashes"
    )
    print("\nfiles refused, by error code (a file can have several):")
    for code, count in refused.most_common():
        print(f"  {count:5d}  {code}")
        for example in examples[code]:
            print(f"         e.g. {example[:220]}")
    print("\nbuilt files with warnings, by code:")
    for code, count in warnings.most_common():
        print(f"  {count:5d}  {code}")
    for crash in crashes:
        print(f"CRASH {crash}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
