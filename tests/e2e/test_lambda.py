"""Lambda Invoke and the Runtime API against a live emu, with a tiny Python
runtime (tests/e2e/runtimes/test_runtime.py) that emu starts itself.
"""
import base64
import concurrent.futures
import json
import os
import subprocess
import time
import urllib.request

import botocore.exceptions
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIME = "/usr/bin/python3 " + os.path.join(HERE, "runtimes", "test_runtime.py")


def fn_args(name="echo", timeout=2, extra=()):
    return ["--function", "%s=%s" % (name, RUNTIME), "--fn-timeout", str(timeout),
            "--fn-env", "TEST_VAR=hello", *extra]


@pytest.fixture
def lam_emu(emu_factory):
    return emu_factory(fn_args())


def invoke(client, payload, **kw):
    r = client.invoke(FunctionName="echo", Payload=json.dumps(payload).encode(), **kw)
    return r, r["Payload"].read()


def test_request_response_payload_and_runtime_headers(lam_emu):
    lam = lam_emu.client("lambda")
    r, body = invoke(lam, {"hello": "world"})
    assert r["StatusCode"] == 200
    assert "FunctionError" not in r
    out = json.loads(body)
    assert out["event"] == {"hello": "world"}
    env = out["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "echo"
    assert env["AWS_LAMBDA_RUNTIME_API"] == "127.0.0.1:%d/_fn/echo/1" % lam_emu.port
    assert env["AWS_ENDPOINT_URL"] == lam_emu.endpoint
    assert env["AWS_REGION"] == "us-east-1" and env["TEST_VAR"] == "hello"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    h = out["headers"]
    assert h["Lambda-Runtime-Aws-Request-Id"] == r["ResponseMetadata"]["RequestId"]
    assert h["Lambda-Runtime-Invoked-Function-Arn"] == \
        "arn:aws:lambda:us-east-1:000000000000:function:echo"
    assert h["Lambda-Runtime-Trace-Id"].startswith("Root=1-")
    deadline = int(h["Lambda-Runtime-Deadline-Ms"])
    assert 0 < deadline - time.time() * 1000 <= 2100


def test_function_error_header_and_payload(lam_emu):
    r, body = invoke(lam_emu.client("lambda"), {"fail": "boom"})
    assert r["StatusCode"] == 200
    assert r["FunctionError"] == "Unhandled"
    err = json.loads(body)
    assert err["errorMessage"] == "boom" and err["errorType"] == "TestError"


def test_timeout(lam_emu):
    lam = lam_emu.client("lambda", read_timeout=30)
    t0 = time.time()
    r, body = invoke(lam, {"sleep": 10})
    assert 1.9 < time.time() - t0 < 4
    assert r["FunctionError"] == "Unhandled"
    assert "Task timed out after 2.00 seconds" in json.loads(body)["errorMessage"]
    # The runtime was killed and restarted: the next invoke works.
    r, body = invoke(lam, {"after": "timeout"})
    assert "FunctionError" not in r and json.loads(body)["event"] == {"after": "timeout"}


def test_exit_error_then_restart(lam_emu):
    lam = lam_emu.client("lambda")
    r, body = invoke(lam, {"exit": 3})
    assert r["FunctionError"] == "Unhandled"
    err = json.loads(body)
    assert err["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in err["errorMessage"]
    r, body = invoke(lam, {"again": 1})
    assert json.loads(body)["event"] == {"again": 1}


def test_event_and_dry_run(lam_emu, tmp_path):
    lam = lam_emu.client("lambda")
    r = lam.invoke(FunctionName="echo", InvocationType="Event", Payload=b'{"async": 1}')
    assert r["StatusCode"] == 202
    r = lam.invoke(FunctionName="echo", InvocationType="DryRun", Payload=b'{}')
    assert r["StatusCode"] == 204
    deadline = time.time() + 5
    while "async" not in lam_emu.logs() or "async" not in lam_emu.logs():
        assert time.time() < deadline
        time.sleep(0.05)
    while " async " not in lam_emu.logs():
        assert time.time() < deadline
        time.sleep(0.05)


def test_concurrent_invokes_queue(lam_emu):
    lam = lam_emu.client("lambda", read_timeout=30, max_pool_connections=10)
    with concurrent.futures.ThreadPoolExecutor(5) as ex:
        t0 = time.time()
        futs = [ex.submit(invoke, lam, {"sleep": 0.3, "i": i}) for i in range(5)]
        outs = [json.loads(f.result()[1]) for f in futs]
    elapsed = time.time() - t0
    assert sorted(o["event"]["i"] for o in outs) == list(range(5))
    assert len({o["pid"] for o in outs}) == 1     # concurrency 1: one runtime
    assert elapsed >= 1.4                          # run one after the other


def test_concurrency_two_runtimes(emu_factory):
    e = emu_factory(fn_args(extra=("--fn-concurrency", "2")))
    lam = e.client("lambda", read_timeout=30)
    invoke(lam, {"warm": 1})
    time.sleep(0.5)   # both runtimes up
    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        t0 = time.time()
        outs = [json.loads(f.result()[1]) for f in
                [ex.submit(invoke, lam, {"sleep": 0.5}) for _ in range(6)]]
    assert len({o["pid"] for o in outs}) == 2
    assert time.time() - t0 < 2.7     # one at a time would take 3 s


def test_errors(lam_emu):
    lam = lam_emu.client("lambda")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="missing", Payload=b"{}")
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        lam.invoke(FunctionName="echo", Payload=b"{not json")
    assert ei.value.response["Error"]["Code"] == "InvalidRequestContentException"
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        lam.invoke(FunctionName="echo", Payload=b'"' + b"x" * (6 * 1024 * 1024) + b'"')
    assert ei.value.response["Error"]["Code"] == "RequestTooLargeException"


def test_function_arn_and_rie_path(lam_emu):
    lam = lam_emu.client("lambda")
    arn = "arn:aws:lambda:us-east-1:000000000000:function:echo"
    r = lam.invoke(FunctionName=arn, Payload=b'{"x": 1}')
    assert json.loads(r["Payload"].read())["event"] == {"x": 1}
    req = urllib.request.Request(lam_emu.endpoint +
                                 "/2015-03-31/functions/function/invocations",
                                 data=b'{"rie": true}', method="POST")
    out = json.loads(urllib.request.urlopen(req, timeout=10).read())
    assert out["event"] == {"rie": True}
    conf = lam.get_function(FunctionName="echo")["Configuration"]
    assert conf["Timeout"] == 2 and conf["FunctionArn"] == arn
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["echo"]


def test_aws_cli_invoke(lam_emu, tmp_path):
    out = tmp_path / "out.json"
    p = subprocess.run(["/usr/bin/aws", "lambda", "invoke", "--endpoint-url", lam_emu.endpoint,
                        "--function-name", "echo", "--cli-binary-format", "raw-in-base64-out",
                        "--payload", '{"cli": 1}', str(out)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["StatusCode"] == 200
    assert json.loads(out.read_text())["event"] == {"cli": 1}


def test_external_runtime_and_init_error(emu_factory):
    """An external runtime (not started by emu) names its function by path;
    the plain /2018-06-01/ prefix serves the first function."""
    e = emu_factory(["--function", "first", "--function", "ext", "--fn-timeout", "5"])
    api = "127.0.0.1:%d/_fn/ext" % e.port
    proc = subprocess.Popen(RUNTIME.split() , env={**os.environ, "AWS_LAMBDA_RUNTIME_API": api})
    try:
        lam = e.client("lambda")
        r = lam.invoke(FunctionName="ext", Payload=b'{"ext": 1}')
        assert json.loads(r["Payload"].read())["event"] == {"ext": 1}
    finally:
        proc.kill()
        proc.wait()
    # init/error on the plain prefix (function "first") is the next invoke's answer.
    base = e.endpoint + "/2018-06-01/runtime/"
    req = urllib.request.Request(base + "init/error", method="POST",
                                 data=b'{"errorMessage":"no handler","errorType":"Runtime.NoHandler"}',
                                 headers={"Lambda-Runtime-Function-Error-Type": "Runtime.NoHandler"})
    assert urllib.request.urlopen(req, timeout=5).status == 202
    r = e.client("lambda").invoke(FunctionName="first", Payload=b"{}")
    assert r["FunctionError"] == "Unhandled"
    assert json.loads(r["Payload"].read())["errorType"] == "Runtime.NoHandler"
    # A response for an unknown request id is a 400.
    req = urllib.request.Request(base + "invocation/nope/response", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as ei:
        urllib.request.urlopen(req, timeout=5)
    assert ei.value.code == 400
