"""One summary of everything `make test` ran: Odoo's test runner logs and pytest's
JUnit reports. Prints a line per suite, then `N passed, N failed` and exits non-zero
on any failure, error, or skipped browser test."""

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

RESULT = re.compile(r"odoo\.tests\.result: (\d+) failed, (\d+) error\(s\) of (\d+) tests")
SKIPPED = re.compile(r"odoo\.tests\.result: skipped (\S+)")
FAILED_LINE = re.compile(r"(?:ERROR|FAIL): (\S+)")


def odoo_log(path):
    text = Path(path).read_text(errors="replace")
    failed = errors = total = 0
    for match in RESULT.finditer(text):
        failed, errors, total = (int(x) for x in match.groups())
    skipped = [m.group(1) for m in SKIPPED.finditer(text)]
    crashed = total == 0
    return {"total": total, "failed": failed + errors, "skipped": skipped, "crashed": crashed}


def junit(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    total = failed = 0
    skipped = []
    for suite in suites:
        total += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        for case in suite.iter("testcase"):
            if case.find("skipped") is not None:
                skipped.append(f"{case.get('classname')}.{case.get('name')}")
    return {"total": total, "failed": failed, "skipped": skipped, "crashed": False}


def main(argv):
    passed = failed = 0
    bad = False
    for spec in argv:
        kind, label, path = spec.split(":", 2)
        if not Path(path).exists():
            print(f"{label}: no report at {path} (the run did not finish)")
            failed += 1
            bad = True
            continue
        res = odoo_log(path) if kind == "odoo" else junit(path)
        ran = res["total"] - len(res["skipped"])
        suite_passed = ran - res["failed"]
        passed += suite_passed
        failed += res["failed"]
        line = (
            f"{label}: {suite_passed} passed, {res['failed']} failed, {len(res['skipped'])} skipped of {res['total']}"
        )
        print(line)
        if res["skipped"]:
            # Nothing here may be skipped: a skipped tour means no browser, which is a failure.
            print(f"  skipped (counted as failures): {', '.join(res['skipped'][:10])}")
            failed += len(res["skipped"])
            bad = True
        if res["crashed"]:
            print(f"  {label} did not report any test result")
            failed += 1
            bad = True
        bad = bad or res["failed"] > 0
    print(f"{passed} passed, {failed} failed")
    return 1 if bad or failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
