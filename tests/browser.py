"""Shared by the browser tests: the system Chromium, and axe-core installed with npm on first use
into /tmp/axe (kept between runs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
AXE_DIR = Path("/tmp/axe")
AXE = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"


def axe_installed() -> bool:
    """Whether axe-core is there, installing it with npm when it is not (False: no npm/network)."""
    if AXE.exists():
        return True
    if shutil.which("npm") is None:
        return False
    AXE_DIR.mkdir(parents=True, exist_ok=True)
    cmd = ["npm", "install", "--silent", "--no-audit", "--no-fund", "axe-core"]
    done = subprocess.run(cmd, cwd=AXE_DIR, capture_output=True, timeout=300, check=False)
    return done.returncode == 0 and AXE.exists()
