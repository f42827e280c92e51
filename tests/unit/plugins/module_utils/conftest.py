"""Unit tests of plugins/module_utils, one folder per package; ``plan_samples`` is shared by all."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
