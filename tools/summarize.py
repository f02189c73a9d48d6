"""One summary of everything `make test` ran: Odoo's test runner logs and pytest's
JUnit reports. Prints a line per suite, then `N passed, N failed` and exits non-zero
on any failure, error, skipped test, or odoo-bin exiting with an error."""

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

RESULT = re.compile(r"odoo\.tests\.result: (\d+) failed, (\d+) error\(s\) of (\d+) tests")
# Odoo's runner logs each test's outcome with the test module's logger:
#   ... INFO db odoo.addons.crm_clients.tests.test_x: skipped TestX.test_y : reason
#   ... ERROR db odoo.addons.crm_clients.tests.test_x: FAIL: Subtest TestX.test_y (n=1)
# (a skip or an error of a whole class reads "setUpClass (odoo.addons....TestX)").
SKIPPED = re.compile(r" INFO \S+ ([\w.]+): skipped (.+?) : ", re.MULTILINE)
FAILED_LINE = re.compile(
    r" ERROR \S+ ([\w.]*tests[\w.]*): (?:ERROR|FAIL): (?:Subtest )?(\S+(?: \([\w.]+\))?)", re.MULTILINE
)
# tools/test.sh appends odoo-bin's exit status to the log.
EXIT_STATUS = re.compile(r"^odoo-bin exit status: (\d+)$", re.MULTILINE)


def odoo_log(path):
    """Counts tests, not lines: a test whose subtests fail is one failed test (Odoo's own
    "N failed, M error(s)" counts every failing subtest, and a test's tearDown error too).
    A class that fails or is skipped in setUpClass is one failed or skipped entry (Odoo
    does not count its tests as run)."""
    text = Path(path).read_text(errors="replace")
    odoo_failures = total = 0
    for match in RESULT.finditer(text):
        failed, errors, total = (int(x) for x in match.groups())
        odoo_failures = failed + errors
    skipped = sorted({f"{logger.removeprefix('odoo.addons.')}.{name}" for logger, name in SKIPPED.findall(text)})
    failing = sorted({f"{logger.removeprefix('odoo.addons.')}.{name}" for logger, name in FAILED_LINE.findall(text)})
    ran = total - len([name for name in failing + skipped if " (" not in name])
    problems = []
    if total == 0:
        problems.append("no test result in the log (odoo-bin did not finish, or selected no test)")
    elif odoo_failures and not failing:
        problems.append(f"Odoo's runner counted {odoo_failures} failure(s) the log does not name")
    status = EXIT_STATUS.findall(text)
    if not status:
        problems.append("no exit status of odoo-bin in the log")
    elif status[-1] != "0" and not failing:
        problems.append(f"odoo-bin exited with status {status[-1]}")
    return {"passed": max(ran, 0), "failing": failing, "skipped": skipped, "problems": problems}


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
    failing = [f"{failed} failure(s) and error(s)"] if failed else []
    return {"passed": total - len(skipped) - failed, "failed": failed, "failing": failing, "skipped": skipped}


def main(argv):
    passed = failed = 0
    for spec in argv:
        kind, label, path = spec.split(":", 2)
        if not Path(path).exists():
            print(f"{label}: no report at {path} (the run did not finish)")
            failed += 1
            continue
        res = odoo_log(path) if kind == "odoo" else junit(path)
        suite_failed = res.get("failed", len(res["failing"]))
        problems = res.get("problems", [])
        total = res["passed"] + suite_failed + len(res["skipped"])
        print(f"{label}: {res['passed']} passed, {suite_failed} failed, {len(res['skipped'])} skipped of {total}")
        if kind == "odoo" and res["failing"]:
            more = " ..." if len(res["failing"]) > 10 else ""
            print(f"  failed: {', '.join(res['failing'][:10])}{more}")
        if res["skipped"]:
            # Nothing here may be skipped: a skipped tour means no browser, which is a failure.
            print(f"  skipped (counted as failures): {', '.join(res['skipped'][:10])}")
        for problem in problems:
            print(f"  failed: {problem}")
        passed += res["passed"]
        failed += suite_failed + len(res["skipped"]) + len(problems)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
