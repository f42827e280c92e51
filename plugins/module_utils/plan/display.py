# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Show plan text and AWS output to a person without letting it drive their terminal.

A phase name, a step description or an AWS error message may carry ANSI escape
sequences (clear the screen, move the cursor, hide text), carriage returns that
overwrite a line, or Unicode bidi overrides that reorder what is read. Wherever
such text is shown (prompts, debug output, report.md, the change log) it goes
through ``printable``: every such character becomes a visible escape (``\\x1b``,
``\\u202e``). Single-line fields escape new lines and tabs too; multi-line text
(an error explanation) keeps ``\\n`` and ``\\t``, which is all its layout needs.
"""

from __future__ import annotations

import re

# C0 controls, DEL and C1 controls; ESC (0x1b) and CR (0x0d) are among them
_CONTROLS = "\x00-\x1f\x7f-\x9f"
# bidi embeddings/overrides/isolates and marks, and the line/paragraph separators
_INVISIBLE = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_SINGLE_LINE = re.compile("[%s%s]" % (_CONTROLS, _INVISIBLE))
_MULTI_LINE = re.compile("[%s%s]" % (_CONTROLS.replace("\x00-\x1f", "\x00-\x08\x0b-\x1f"), _INVISIBLE))


def _escape(match):
    code = ord(match.group(0))
    return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code


def printable(value, multiline=False):
    """``value`` as text safe to show; lists and dicts are escaped item by item."""
    if isinstance(value, dict):
        return {printable(k, multiline): printable(v, multiline) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable(v, multiline) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return (_MULTI_LINE if multiline else _SINGLE_LINE).sub(_escape, str(value))
