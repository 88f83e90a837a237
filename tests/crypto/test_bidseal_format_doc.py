"""docs/sealed-bid-format.md agrees with the vector files and with itself.

Section 6 names every vector file and every vector in it; a third party works
from that list, so it must equal the files. Every cited subsection and step
must exist.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "sealed-bid-format.md").read_text(encoding="utf-8")
VECTORS = ROOT / "tests" / "vectors"
VECTOR_FORMAT = "bidseal-test-vectors/1"


def vector_sections() -> dict[str, str]:
    """The text under each ``### 6.N `file``` heading, by file name."""
    part = DOC[DOC.index("## 6. Test vectors") :]
    pieces = re.split(r"^### 6\.\d+ `([^`]+)`$", part, flags=re.MULTILINE)
    return dict(zip(pieces[1::2], pieces[2::2], strict=True))


SECTIONS = vector_sections()


def load(name: str) -> dict[str, Any]:
    value = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    assert isinstance(value, dict)
    return value


def names_after(section: str, label: str) -> list[str]:
    """The backquoted names of the paragraph that starts with ``label:``."""
    match = re.search(rf"^{label}: (.*?)\.\n(?:\n|$)", section, re.MULTILINE | re.DOTALL)
    assert match is not None, f"no '{label}:' paragraph"
    return re.findall(r"`([^`]+)`", match.group(1))


def table_rows(section: str) -> list[list[str]]:
    """The body rows of the section's table, cells stripped, backquotes removed."""
    rows = []
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith("| name ") and "---" not in line:
            rows.append([cell.strip().strip("`") for cell in line.strip("|").split(" | ")])
    return rows


def test_the_document_names_exactly_the_vector_files() -> None:
    on_disk = {str(p.relative_to(VECTORS)) for p in VECTORS.glob("*.json")}
    on_disk.add("js/manifest.json")
    assert set(SECTIONS) == on_disk
    for name, section in SECTIONS.items():
        vectors = load(name)
        assert vectors["format"] == VECTOR_FORMAT, name
        # Every member is described (format, description and made_by in the introduction).
        for member in set(vectors) - {"format", "description", "made_by"}:
            assert f"`{member}`" in section, (name, member)


def test_sealed_vectors() -> None:
    section = SECTIONS["sealed-bid-v1.json"]
    vectors = load("sealed-bid-v1.json")["vectors"]
    assert names_after(section, "Vectors") == [v["name"] for v in vectors]
    # Every member of a vector is described.
    for member in vectors[0]:
        assert f"`{member}`" in section, member


def test_invalid_vectors() -> None:
    rows = table_rows(SECTIONS["invalid-sealed-bid-v1.json"])
    vectors = load("invalid-sealed-bid-v1.json")["vectors"]
    assert rows == [[v["name"], v["fails_at"], v["reason"]] for v in vectors]


def test_key_file_variants() -> None:
    rows = table_rows(SECTIONS["private-key-v1.json"])
    variants = load("private-key-v1.json")["variants"]
    expected = [[v["name"], "yes" if v["opens"] else "no", v["reason"]] for v in variants]
    assert rows == expected


def test_signed_vectors() -> None:
    bad = load("signed-v1.json")["bad_receipts"]
    assert names_after(SECTIONS["signed-v1.json"], "Bad receipts") == [b["name"] for b in bad]


def test_json_profile_cases() -> None:
    section = SECTIONS["json-profile-v1.json"]
    cases = load("json-profile-v1.json")["cases"]
    assert names_after(section, "Accepted") == [c["name"] for c in cases if c["accepted"]]
    assert names_after(section, "Refused") == [c["name"] for c in cases if not c["accepted"]]
    for member in cases[0]:
        assert f"`{member}`" in section, member


def test_javascript_vectors() -> None:
    section = SECTIONS["js/manifest.json"]
    manifest = load("js/manifest.json")
    assert names_after(section, "Sealed") == [v["name"] for v in manifest["sealed"]]
    rows = [row[:2] for row in table_rows(section)]
    assert rows == [[v["name"], v["fails_at"]] for v in manifest["invalid"]]
    assert {v["fails_at"] for v in manifest["invalid"]} == {"read", "open"}


def test_a_case_in_both_sets_has_one_name_and_one_stage() -> None:
    python = {v["name"]: v["fails_at"] for v in load("invalid-sealed-bid-v1.json")["vectors"]}
    shared = [v for v in load("js/manifest.json")["invalid"] if v["name"] in python]
    assert len(shared) >= 10
    for vector in shared:
        assert python[vector["name"]] == vector["fails_at"], vector["name"]


def headings() -> set[str]:
    return set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", DOC, re.MULTILINE))


def test_every_cited_subsection_exists() -> None:
    known = headings()
    cited = set()
    for group in re.findall(r"\(([^()]*)\)", DOC):
        if re.fullmatch(r"[\d., and]+", group):
            cited |= set(re.findall(r"\d+\.\d+", group))
    cited |= set(re.findall(r"sections? (\d+\.\d+)", DOC))
    assert cited
    assert cited <= known, sorted(cited - known)


def test_every_cited_step_of_section_3_exists() -> None:
    section = DOC[DOC.index("## 3. Reading") : DOC.index("## 4. ")]
    steps = {int(n) for n in re.findall(r"^(\d)\. ", section, re.MULTILINE)}
    cited = {int(n) for n in re.findall(r"\(3, step (\d)\)", DOC)}
    cited |= {int(n) for n in re.findall(r"section 3, steps? (\d)", DOC)}
    assert cited
    assert cited <= steps
