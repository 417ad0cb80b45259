#!/usr/bin/env python3
# Prints "N passed, N failed[, N skipped]" from meson's own test logs
# (meson-logs/testlog.json of one or more build directories), after the
# name, result and last lines of output of every test that did not pass:
# CI logs are often read from the end.
import json
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}
TAIL_LINES = 25


def report(path, entry):
    name = entry.get("name", "?")
    result = entry.get("result")
    print(f"meson-summary: {path}: {name}: {result}", file=sys.stderr)
    output = (entry.get("stdout") or "") + (entry.get("stderr") or "")
    for line in output.splitlines()[-TAIL_LINES:]:
        print(f"  | {line}", file=sys.stderr)


def main(paths):
    passed = failed = skipped = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.readlines()
        except FileNotFoundError:
            print(f"meson-summary: {path} is missing: counting it as one failure", file=sys.stderr)
            failed += 1
            continue
        for line in lines:
            line = line.strip()
            if not line:
                continue
            entry = json.loads(line)
            result = entry.get("result")
            if result in PASSED:
                passed += 1
            elif result in SKIPPED:
                skipped += 1
            else:
                failed += 1
                report(path, entry)
    sys.stderr.flush()
    summary = f"{passed} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped"
    print(summary)
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
