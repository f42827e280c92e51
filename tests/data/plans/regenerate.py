# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Re-stamp the approvals of the test plan corpus after editing a plan in it.

    .venv/bin/python tests/data/plans/regenerate.py          # rewrite stale digests
    .venv/bin/python tests/data/plans/regenerate.py --check  # exit 1 if any is stale

Each file in ``bad/`` has ONE deliberate defect, named by its file name and described in
its first comment; ``expected.yml`` maps the file name to the field and a fragment of the
message that ``load_plan`` must report. So that it is that defect which is reported (and
not "edited after approval"), every plan carries an approval for its own digest, unless
``expected.yml`` says ``stamp: false`` (the approval is the point, or the file cannot be
parsed at all). ``stamp: {undo: [edited, original]}`` approves the text with ``edited``
replaced by ``original``: the plan was approved, then edited.

Files in ``hostile/`` are valid plans and are always stamped.

The digest is computed here from the contract (plan-format.md), independently of the
collection: SHA-256 of the canonical JSON (sorted keys, separators ``,`` ``:``, non-ASCII
kept) of the plan without its top-level ``approval``. Timestamps in these files are quoted,
so ``yaml.safe_load`` keeps them as strings. Only the ``plan_sha256`` value is rewritten;
everything else in a file stays as written.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
BAD = HERE / "bad"
HOSTILE = HERE / "hostile"
EXPECTED = HERE / "expected.yml"
_DIGEST_LINE = re.compile(r'^(?P<lead>\s*"?plan_sha256"?\s*:\s*)"?[^"\s,]*"?(?P<tail>,?)\s*$', re.MULTILINE)


def contract_digest(document: dict) -> str:
    body = {key: value for key, value in document.items() if key != "approval"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse(text: str, name: str) -> dict:
    return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)


def approved_text(text: str, stamp) -> str:
    """The text that was approved: the file itself, or the file before its documented edit."""
    if isinstance(stamp, dict) and "undo" in stamp:
        edited, original = stamp["undo"]
        if edited not in text:
            raise ValueError("undo: %r is not in the file" % edited)
        return text.replace(edited, original, 1)
    return text


def stamped(text: str, name: str, stamp) -> str:
    """The file text with plan_sha256 set to the digest of the approved text."""
    digest = contract_digest(parse(approved_text(text, stamp), name))
    quote = '"' if name.endswith(".json") else ""
    new, count = _DIGEST_LINE.subn(lambda m: "%s%s%s%s%s" % (m["lead"], quote, digest, quote, m["tail"]), text)
    if count != 1:
        raise ValueError("expected exactly one plan_sha256 line, found %d" % count)
    return new


def targets():
    """(path, stamp) of every file that carries a stamped approval."""
    expected = yaml.safe_load(EXPECTED.read_text(encoding="utf-8"))
    for name, entry in sorted(expected.items()):
        stamp = entry.get("stamp", True)
        if stamp:
            yield BAD / name, stamp
    for path in sorted(HOSTILE.glob("*.y*ml")):
        yield path, True


def main(argv) -> int:
    check = "--check" in argv
    stale = []
    for path, stamp in targets():
        text = path.read_text(encoding="utf-8")
        new = stamped(text, path.name, stamp)
        if new != text:
            stale.append(path)
            if not check:
                path.write_text(new, encoding="utf-8")
    for path in stale:
        print("%s %s" % ("stale:" if check else "stamped:", path.relative_to(HERE)))
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
