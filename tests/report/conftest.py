"""Headless Chromium for the report screenshot test: found, or installed with apt-get.

`make test` installs Debian's `chromium` package when it is missing (as root). When a test run
starts without it, this fixture tries the same once; the screenshot test is skipped, with the
reason, only when chromium cannot be installed (not root, no apt-get, or no network).
"""

import os
import shutil
import subprocess

import pytest

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _find():
    for name in _NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _install() -> str:
    """Try `apt-get install -y chromium`; return why it could not be done ('' on success)."""
    if not shutil.which("apt-get"):
        return "apt-get is not available"
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return "not running as root, so apt-get cannot install it"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "install", "-y", "-q", "chromium"],
                ["sh", "-c", "apt-get update -q && apt-get install -y -q chromium"]):
        try:
            done = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"apt-get failed: {e}"
        if done.returncode == 0 and _find():
            return ""
    return f"apt-get install chromium failed: {done.stderr.strip()[-300:]}"


@pytest.fixture(scope="session")
def chromium():
    path = _find()
    if path is None:
        why = _install()
        path = _find()
        if path is None:
            pytest.skip(f"headless Chromium is needed to render the report and could not be "
                        f"installed: {why}. Install Debian's 'chromium' package to run this test.")
    return path
