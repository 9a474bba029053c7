"""The verification report is a documented format: the README's example and key table and
the JSON the library produces must agree."""

from __future__ import annotations

import json
import re

from badgeservice.credentials.multikey import KeyPair
from badgeservice.credentials.proofs import sign
from badgeservice.credentials.verify import REPORT_KEYS, verify_credential
from tests.conftest import ROOT, load_vector


def _readme_example() -> dict[str, object]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- report-example -->\s*```json\n(.*?)```", text, re.DOTALL)
    assert match, "README has no report example after <!-- report-example -->"
    example: dict[str, object] = json.loads(match[1])
    return example


def _real_report() -> dict[str, object]:
    key = KeyPair.generate()
    document = load_vector("ob-v3p0/unsigned.json")
    document["issuer"]["id"] = key.did_key_verification_method.split("#")[0]
    return verify_credential(sign(document, key)).to_json()


def test_readme_example_has_exactly_the_keys_the_library_writes() -> None:
    example, real = _readme_example(), _real_report()
    assert tuple(example) == REPORT_KEYS == tuple(real)
    for check in example["checks"]:  # type: ignore[attr-defined]
        assert set(check) == {"name", "outcome", "message"}
        assert check["outcome"] in {"passed", "failed", "skipped"}
    for check in real["checks"]:  # type: ignore[attr-defined]
        assert set(check) == {"name", "outcome", "message"}
    assert [c["name"] for c in real["checks"]] == [  # type: ignore[attr-defined]
        c["name"]
        for c in example["checks"]  # type: ignore[attr-defined]
    ]


def test_readme_key_table_explains_every_key() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("### The verification report") :]
    table = table[: table.index("### Canonical ordering")]
    for key in REPORT_KEYS:
        assert f"`{key}" in table, key
    assert "`type`/`passed/failed/skipped`" not in text
