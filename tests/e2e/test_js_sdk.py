"""The AWS SDK for JavaScript v3 (pinned in tests/node/package.json) against a live emu.

Each tests/node/*.test.mjs file runs under `node --test` with EMU_ENDPOINT set.
`make test` installs the npm packages first (.ci/deps test)."""
import glob
import os
import subprocess

import pytest

from conftest import ROOT

NODE_DIR = os.path.join(ROOT, "tests", "node")
FILES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(NODE_DIR, "*.test.mjs")))


@pytest.mark.parametrize("name", FILES)
def test_node_file(emu, name):
    assert os.path.isdir(os.path.join(NODE_DIR, "node_modules", "@aws-sdk")), \
        "npm packages missing: run make deps"
    env = dict(os.environ, EMU_ENDPOINT=emu.endpoint)
    r = subprocess.run(["node", "--test", name], cwd=NODE_DIR, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "# fail 0" in r.stdout
