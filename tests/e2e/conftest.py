"""Shared fixtures for the end-to-end tests: a live emu on a free port.

Run with Debian's Python (its boto3/botocore are the real clients we test):
    EMU_BIN=./emu /usr/bin/python3 -m pytest tests/e2e -q
"""
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import boto3
import botocore.config
import botocore.exceptions
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMU_BIN = os.path.abspath(os.environ.get("EMU_BIN", os.path.join(ROOT, "emu")))
HANDLER_BIN = os.path.abspath(os.environ.get("HANDLER_BIN", os.path.join(ROOT, "handler")))
REGION = "us-east-1"

# tests/e2e/runtimes/ holds Lambda runtimes the tests start, not tests.
collect_ignore_glob = ["runtimes/*"]

os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
# Debian's awscli and boto3 must not read a developer's real profile.
os.environ["AWS_CONFIG_FILE"] = "/dev/null"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
os.environ.pop("AWS_PROFILE", None)


def error_of(exc_info):
    """(Code, Message) of a botocore ClientError caught by pytest.raises."""
    e = exc_info.value.response["Error"]
    return e["Code"], e["Message"]


def fails(fn, **kw):
    """Call fn(**kw), which must raise a ClientError; its (Code, Message)."""
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        fn(**kw)
    return error_of(ei)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Emu:
    """A running emu process; .stop()/.start() keep the same port and db."""

    def __init__(self, args=(), db=None):
        self.port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.db = db
        self.args = list(args)
        self.proc = None
        self.log_path = tempfile.mktemp(prefix="emu-", suffix=".log")

    def start(self):
        storage = ["--db", self.db] if self.db else ["--in-memory"]
        cmd = [EMU_BIN, "--port", str(self.port), *storage, *self.args]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("emu exited: " + open(self.log_path).read()[-2000:])
            try:
                urllib.request.urlopen(self.endpoint + "/health", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("emu did not start")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        rc = self.proc.returncode
        self.proc = None
        return rc

    def client(self, service, **kw):
        cfg = botocore.config.Config(retries={"max_attempts": 1}, **kw)
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id="test", aws_secret_access_key="test", config=cfg)

    def resource(self, service):
        return boto3.resource(service, endpoint_url=self.endpoint, region_name=REGION,
                              aws_access_key_id="test", aws_secret_access_key="test")

    def logs(self):
        with open(self.log_path) as f:
            return f.read()


@pytest.fixture
def emu():
    e = Emu().start()
    yield e
    rc = e.stop()
    assert rc == 0, "emu exited with %s:\n%s" % (rc, e.logs()[-3000:])


@pytest.fixture
def emu_factory(tmp_path):
    """Start emus with custom arguments; all are stopped at the end."""
    started = []

    def make(args=(), db=None):
        e = Emu(args, db).start()
        started.append(e)
        return e

    yield make
    for e in started:
        if e.proc:
            e.stop()


@pytest.fixture
def ddb(emu):
    return emu.client("dynamodb")
