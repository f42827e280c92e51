"""Unit tests of the action plugins: ``action_support`` drives their run(); ``plan_samples`` gives plans."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "module_utils"))  # plan_samples
