# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by every plugin that takes a plan."""

from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    DOCUMENTATION = r"""
options:
  plan:
    description:
      - Plan file path, plan id in O(plans_dir), or V(last) (the newest plan by C(created)).
      - Or the planner's Markdown (a C(.md) file), which stands for the plan approved from it, the plan in O(plans_dir)
        that records this Markdown's sha256. A Markdown changed since, or never approved, is refused.
    type: str
    required: true
  plans_dir:
    description: Directory searched when O(plan) is an id, V(last) or a Markdown file.
    type: path
"""
