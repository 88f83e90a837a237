"""Write tests/module_seconds.json from a JUnit XML report: each test module's seconds.

    .venv/bin/pytest -n 4 --junitxml=/tmp/suite.xml && \
        .venv/bin/python scripts/module_seconds.py /tmp/suite.xml

The suite sends its slowest modules to the test workers first (tests/conftest.py), so that
no long module starts last and runs alone while the other workers are idle. The figures only
order the modules: stale ones make the run slower, never wrong.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "module_seconds.json"


def module_seconds(report: Path) -> dict[str, float]:
    seconds: Counter[str] = Counter()
    for case in ET.parse(report).iter("testcase"):
        # `classname` is the module's dotted path (and a class, if any): tests.hub.test_x.
        parts = case.get("classname", "").split(".")
        module = "/".join(part for part in parts if not part[:1].isupper()) + ".py"
        seconds[module] += float(case.get("time", "0"))
    return {module: round(total, 1) for module, total in sorted(seconds.items())}


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: module_seconds.py JUNIT_XML")
    found = module_seconds(Path(sys.argv[1]))
    OUT.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(found)} modules, {sum(found.values()):.0f} s")


if __name__ == "__main__":
    main()
