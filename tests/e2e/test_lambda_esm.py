"""Kinesis event source mappings against a live emu: the REST API (boto3 and
the AWS CLI), the Lambda Kinesis event, ordering, retries, bisect, partial
batch responses, checkpoints across restarts, delivery latency and the
`emu event kinesis` command.  The function is tests/e2e/runtimes/test_runtime.py,
which logs every invocation to a JSON-lines file.
"""
import base64
import json
import os
import subprocess
import time

import botocore.exceptions
import pytest

from conftest import EMU_BIN

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIME = "/usr/bin/python3 " + os.path.join(HERE, "runtimes", "test_runtime.py")
ACCOUNT, REGION = "000000000000", "us-east-1"


class Env:
    def __init__(self, emu, log):
        self.emu, self.log = emu, log
        self.kin = emu.client("kinesis")
        self.lam = emu.client("lambda")

    def stream(self, name="s", shards=1):
        self.kin.create_stream(StreamName=name, ShardCount=shards)
        for _ in range(200):
            d = self.kin.describe_stream(StreamName=name)["StreamDescription"]
            if d["StreamStatus"] == "ACTIVE":
                return d["StreamARN"]
            time.sleep(0.02)
        raise AssertionError("stream not active")

    def put(self, name, datas, key="k"):
        r = self.kin.put_records(StreamName=name, Records=[
            {"Data": d.encode(), "PartitionKey": key} for d in datas])
        assert r["FailedRecordCount"] == 0
        return [e["SequenceNumber"] for e in r["Records"]]

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            text = f.read()
        # The runtime may be writing its last line right now: only complete
        # lines count (a half-written one failed json.loads once).
        return [json.loads(line) for line in text.split("\n")[:-1] if line.strip()]

    def wait(self, pred, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            c = self.calls()
            if pred(c):
                return c
            time.sleep(0.01)
        raise AssertionError("condition not met; calls: %s" %
                             [(x.get("seqs"), x.get("outcome")) for x in self.calls()])

    def delivered_ok(self):
        out = []
        for c in self.calls():
            if c.get("outcome") == "ok":
                out += c["data"]
        return out

    def mapping(self, arn, **kw):
        kw.setdefault("StartingPosition", "TRIM_HORIZON")
        return self.lam.create_event_source_mapping(FunctionName="proc", EventSourceArn=arn,
                                                    **kw)


def emu_args(log, extra=()):
    return ["--function", "proc=" + RUNTIME, "--fn-timeout", "5",
            "--fn-env", "RUNTIME_LOG=" + log, *extra]


@pytest.fixture
def env(emu_factory, tmp_path):
    log = str(tmp_path / "calls.jsonl")
    return Env(emu_factory(emu_args(log)), log)


def test_mapping_api_shapes_and_validation(env):
    arn = env.stream("api")
    lam = env.lam
    m = env.mapping(arn, BatchSize=10, MaximumRetryAttempts=3,
                    FunctionResponseTypes=["ReportBatchItemFailures"])
    assert m["State"] == "Creating" and len(m["UUID"]) == 36
    assert m["EventSourceArn"] == arn
    assert m["FunctionArn"] == "arn:aws:lambda:%s:%s:function:proc" % (REGION, ACCOUNT)
    assert m["BatchSize"] == 10 and m["MaximumRetryAttempts"] == 3
    assert m["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    g = lam.get_event_source_mapping(UUID=m["UUID"])
    assert g["State"] == "Enabled" and g["StartingPosition"] == "TRIM_HORIZON"
    assert g["MaximumRecordAgeInSeconds"] == -1 and g["ParallelizationFactor"] == 1
    assert [x["UUID"] for x in lam.list_event_source_mappings()["EventSourceMappings"]] == \
        [m["UUID"]]
    assert lam.list_event_source_mappings(FunctionName="proc")["EventSourceMappings"]
    u = lam.update_event_source_mapping(UUID=m["UUID"], BatchSize=50, Enabled=False)
    assert u["BatchSize"] == 50
    assert lam.get_event_source_mapping(UUID=m["UUID"])["State"] == "Disabled"
    bad = [dict(BatchSize=0), dict(BatchSize=10001), dict(MaximumRecordAgeInSeconds=10),
           dict(ParallelizationFactor=11), dict(StartingPosition="NOPE"),
           dict(MaximumBatchingWindowInSeconds=301), dict(MaximumRetryAttempts=-2)]
    raw = env.emu.client("lambda", parameter_validation=False)   # server-side checks
    for kw in bad:
        kw.setdefault("StartingPosition", "TRIM_HORIZON")
        with pytest.raises(botocore.exceptions.ClientError) as ei:
            raw.create_event_source_mapping(FunctionName="proc", EventSourceArn=arn, **kw)
        assert ei.value.response["Error"]["Code"] == "InvalidParameterValueException", kw
    with pytest.raises(lam.exceptions.ResourceConflictException):
        env.mapping(arn)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.create_event_source_mapping(FunctionName="nope", EventSourceArn=arn,
                                        StartingPosition="LATEST")
    with pytest.raises(botocore.exceptions.ClientError):
        lam.create_event_source_mapping(FunctionName="proc", StartingPosition="LATEST",
                                        EventSourceArn=arn.replace("api", "missing"))
    d = lam.delete_event_source_mapping(UUID=m["UUID"])
    assert d["State"] == "Deleting"
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_event_source_mapping(UUID=m["UUID"])


def test_event_shape_and_order_per_shard(env):
    arn = env.stream("faces", shards=2)
    want = {}
    for i in range(40):
        key = "key-%d" % (i % 7)
        seq = env.put("faces", ["rec-%02d" % i], key=key)[0]
        want.setdefault(key, []).append(seq)
    env.mapping(arn, BatchSize=7)
    env.wait(lambda c: sum(len(x["seqs"]) for x in c) >= 40)
    calls = env.calls()
    shards = {}
    for c in calls:
        ids = {r["eventID"].split(":")[0] for r in c["event"]["Records"]}
        assert len(ids) == 1 and len(c["seqs"]) <= 7      # one shard per batch
        shards.setdefault(ids.pop(), []).extend(c["seqs"])
    for seqs in shards.values():                            # in order per shard
        assert seqs == sorted(seqs, key=int)
    assert len(shards) == 2 and sum(len(s) for s in shards.values()) == 40
    r = calls[0]["event"]["Records"][0]
    k = r["kinesis"]
    assert set(k) == {"kinesisSchemaVersion", "partitionKey", "sequenceNumber", "data",
                      "approximateArrivalTimestamp"}
    assert k["kinesisSchemaVersion"] == "1.0" and r["eventVersion"] == "1.0"
    assert base64.b64decode(k["data"]).decode().startswith("rec-")
    assert isinstance(k["approximateArrivalTimestamp"], float)
    assert abs(k["approximateArrivalTimestamp"] - time.time()) < 60
    assert r["eventSource"] == "aws:kinesis" and r["eventName"] == "aws:kinesis:record"
    assert r["eventID"] == r["eventID"].split(":")[0] + ":" + k["sequenceNumber"]
    assert r["eventID"].startswith("shardId-")
    assert r["eventSourceARN"] == arn and r["awsRegion"] == REGION
    assert r["invokeIdentityArn"] == "arn:aws:iam::%s:role/proc-role" % ACCOUNT
    m = env.lam.list_event_source_mappings()["EventSourceMappings"][0]
    assert m["LastProcessingResult"] == "OK"


def test_latest_and_idle_latency(env):
    arn = env.stream("lat")
    env.put("lat", ["old"])
    env.mapping(arn, StartingPosition="LATEST")
    lat = []
    for i in range(5):
        time.sleep(0.3)   # idle
        n = len(env.calls())
        t0 = time.time()
        env.put("lat", ["new-%d" % i])
        env.wait(lambda c: len(c) > n, timeout=5)
        lat.append(time.time() - t0)
    assert env.delivered_ok() == ["new-%d" % i for i in range(5)]   # "old" skipped
    assert sorted(lat)[2] < 0.1, lat


def test_retry_until_success(env):
    arn = env.stream("r")
    env.put("r", ["a", "FAILONCE-b", "c"])
    env.mapping(arn, BatchSize=10)
    calls = env.wait(lambda c: any(x["outcome"] == "ok" for x in c))
    assert [x["outcome"] for x in calls] == ["error", "ok"]
    assert calls[0]["seqs"] == calls[1]["seqs"]            # the whole batch again
    env.put("r", ["d"])
    env.wait(lambda c: env.delivered_ok() == ["a", "FAILONCE-b", "c", "d"])


def test_retries_exhausted_then_skip(env):
    arn = env.stream("x")
    env.put("x", ["FAIL-a", "b"])
    env.mapping(arn, BatchSize=10, MaximumRetryAttempts=2)
    env.wait(lambda c: len(c) >= 3)
    env.put("x", ["c"])
    env.wait(lambda c: env.delivered_ok() == ["c"])
    calls = env.calls()   # not wait()'s snapshot: the predicate reads the log again
    assert [x["outcome"] for x in calls] == ["error", "error", "error", "ok"]


def test_bisect_isolates_the_bad_record(env):
    arn = env.stream("b")
    env.put("b", ["r0", "r1", "r2", "r3", "r4", "FAIL-r5", "r6", "r7"])
    env.mapping(arn, BatchSize=8, BisectBatchOnFunctionError=True, MaximumRetryAttempts=0)
    env.wait(lambda c: sorted(env.delivered_ok()) ==
             ["r0", "r1", "r2", "r3", "r4", "r6", "r7"])
    calls = env.calls()
    sizes = [(len(x["seqs"]), x["outcome"]) for x in calls]
    assert sizes[0] == (8, "error") and sizes[1] == (4, "ok")
    assert (1, "error") in sizes                                 # r5 alone
    assert [x for x in calls if x["outcome"] == "error"][-1]["data"] == ["FAIL-r5"]
    assert env.delivered_ok() == ["r0", "r1", "r2", "r3", "r4", "r6", "r7"]   # in order


def test_partial_batch_response(env):
    arn = env.stream("p")
    env.put("p", ["a", "b", "PARTIALONCE-c", "d", "PARTIALONCE-e"])
    env.mapping(arn, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    calls = env.wait(lambda c: len(c) >= 2 and c[-1]["outcome"] == "ok")
    # First call: all five, failures c and e -> retry from the lowest (c).
    assert calls[0]["data"] == ["a", "b", "PARTIALONCE-c", "d", "PARTIALONCE-e"]
    assert calls[1]["data"] == ["PARTIALONCE-c", "d", "PARTIALONCE-e"]
    assert len(calls) == 2


def test_disable_keeps_checkpoint(env):
    arn = env.stream("d")
    m = env.mapping(arn)
    env.put("d", ["one"])
    env.wait(lambda c: env.delivered_ok() == ["one"])
    env.lam.update_event_source_mapping(UUID=m["UUID"], Enabled=False)
    time.sleep(0.3)
    env.put("d", ["two"])
    time.sleep(0.5)
    assert env.delivered_ok() == ["one"]
    env.lam.update_event_source_mapping(UUID=m["UUID"], Enabled=True)
    env.wait(lambda c: env.delivered_ok() == ["one", "two"])


def test_checkpoint_survives_restart_and_cli_mapping(emu_factory, tmp_path):
    log = str(tmp_path / "calls.jsonl")
    db = str(tmp_path / "emu.db")
    args = emu_args(log, ["--event-source", "keep:proc,BatchSize=5"])
    e = emu_factory(args, db=db)
    env = Env(e, log)
    env.stream("keep")
    env.put("keep", ["a", "b", "c"])
    env.wait(lambda c: env.delivered_ok() == ["a", "b", "c"])
    uuid = env.lam.list_event_source_mappings()["EventSourceMappings"][0]["UUID"]
    assert e.stop() == 0
    e.start()
    env = Env(e, log)
    ms = env.lam.list_event_source_mappings()["EventSourceMappings"]
    assert [m["UUID"] for m in ms] == [uuid] and ms[0]["BatchSize"] == 5
    env.put("keep", ["d"])
    env.wait(lambda c: env.delivered_ok()[-1:] == ["d"])
    time.sleep(0.3)
    assert env.delivered_ok() == ["a", "b", "c", "d"]      # nothing redelivered


def test_stop_lets_a_running_batch_finish(emu_factory, tmp_path):
    """A graceful stop while the function runs a batch waits for its answer
    (up to 2 s) and checkpoints it: nothing is redelivered after a restart."""
    log = str(tmp_path / "calls.jsonl")
    db = str(tmp_path / "emu.db")
    args = emu_args(log, ["--event-source", "busy:proc", "--fn-env", "RUNTIME_SLEEP=0.35"])
    e = emu_factory(args, db=db)
    env = Env(e, log)
    env.stream("busy")
    env.put("busy", ["a"])
    env.wait(lambda c: env.delivered_ok() == ["a"])
    env.put("busy", ["SLOW b"])     # the runtime sleeps 1.4 s on it
    time.sleep(0.5)                 # ... and is inside that sleep now
    t0 = time.time()
    assert e.stop() == 0
    assert time.time() - t0 >= 0.4  # the stop waited ~0.9 s for the answer (grace: 2 s)
    assert env.delivered_ok() == ["a", "SLOW b"]
    e.start()
    env = Env(e, log)
    env.put("busy", ["c"])
    env.wait(lambda c: env.delivered_ok()[-1:] == ["c"])
    time.sleep(0.3)
    assert env.delivered_ok() == ["a", "SLOW b", "c"]      # nothing redelivered


def test_aws_cli_create_mapping_and_event_command(env):
    arn = env.stream("cli")
    env.put("cli", ["hello", "world"], key="pk")
    p = subprocess.run(["/usr/bin/aws", "lambda", "create-event-source-mapping",
                        "--endpoint-url", env.emu.endpoint, "--function-name", "proc",
                        "--event-source-arn", arn, "--starting-position", "TRIM_HORIZON",
                        "--batch-size", "10"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["BatchSize"] == 10
    env.wait(lambda c: env.delivered_ok() == ["hello", "world"])
    p = subprocess.run([EMU_BIN, "event", "kinesis", "--stream", "cli", "--endpoint",
                        env.emu.endpoint], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    ev = json.loads(p.stdout)
    assert [base64.b64decode(r["kinesis"]["data"]) for r in ev["Records"]] == \
        [b"hello", b"world"]
    assert ev["Records"][0]["eventSourceARN"] == arn
    assert ev["Records"][0]["kinesis"]["partitionKey"] == "pk"
