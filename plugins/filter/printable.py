# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The printable filter: plan text and AWS output made safe to show on a terminal."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: printable
short_description: Escape control characters and bidi overrides in text shown to a person
version_added: 0.2.0
description:
  - Replaces C0 and C1 control characters (ESC, CR, DEL, ...) and Unicode bidi overrides, isolates and
    marks with visible escapes such as C(\x1b) or C(\u202e), so plan text or AWS output shown in a
    prompt, a debug message or a report cannot move the cursor, hide text or reorder what is read.
  - Lists and dicts are escaped item by item; numbers, booleans and null are returned as they are.
author:
  - coworker.aws maintainers
options:
  _input:
    description: The text (or list or dict of texts) to show.
    type: raw
    required: true
  multiline:
    description: Keep new lines and tabs (for text that is split into lines after this filter).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Show a phase name
  ansible.builtin.debug:
    msg: "Phase: {{ step.phase | coworker.aws.printable }}"
"""

RETURN = r"""
_value:
  description: The escaped text (or list or dict).
  type: raw
"""

from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable


class FilterModule:
    def filters(self):
        return {"printable": printable}
