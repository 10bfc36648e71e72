"""@aws-sdk/client-kinesis (JS v3, pinned in tests/node/package.json) configured
for HTTP/1.1 against a live emu: the JS client sends StreamARN and fractional
timestamps, which Debian's boto3 does not."""
import os
import subprocess

import pytest

from conftest import ROOT

NODE_DIR = os.path.join(ROOT, "tests", "node")

SCRIPT = r"""
import assert from "node:assert/strict";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import {
  KinesisClient, CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordCommand,
  PutRecordsCommand, GetShardIteratorCommand, GetRecordsCommand, ListShardsCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-kinesis";

const k = new KinesisClient({
  endpoint: process.env.EMU_ENDPOINT, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  requestHandler: new NodeHttpHandler(),   // HTTP/1.1
});
await k.send(new CreateStreamCommand({ StreamName: "js", ShardCount: 2 }));
const sum = await k.send(new DescribeStreamSummaryCommand({ StreamName: "js" }));
const arn = sum.StreamDescriptionSummary.StreamARN;
assert.equal(sum.StreamDescriptionSummary.StreamStatus, "ACTIVE");
const before = new Date(Date.now() - 5000);
const bytes = new Uint8Array(70000).map((_, i) => (i * 7) & 255);
const p = await k.send(new PutRecordCommand({ StreamARN: arn, PartitionKey: "a", Data: bytes }));
const batch = await k.send(new PutRecordsCommand({ StreamARN: arn, Records: [
  { PartitionKey: "a", Data: new TextEncoder().encode("two") },
  { PartitionKey: "a", Data: new TextEncoder().encode("three") }] }));
assert.equal(batch.FailedRecordCount, 0);
assert.equal(batch.Records[0].ShardId, p.ShardId);
const it = await k.send(new GetShardIteratorCommand({ StreamARN: arn, ShardId: p.ShardId,
  ShardIteratorType: "AT_TIMESTAMP", Timestamp: before }));
const r = await k.send(new GetRecordsCommand({ StreamARN: arn, ShardIterator: it.ShardIterator }));
assert.equal(r.Records.length, 3);
assert.deepEqual(Buffer.from(r.Records[0].Data), Buffer.from(bytes));
assert.equal(r.Records[0].SequenceNumber, p.SequenceNumber);
assert.equal(new TextDecoder().decode(r.Records[2].Data), "three");
assert.ok(r.Records[0].ApproximateArrivalTimestamp instanceof Date);
assert.ok(BigInt(r.Records[1].SequenceNumber) > BigInt(r.Records[0].SequenceNumber));
const shards = await k.send(new ListShardsCommand({ StreamARN: arn }));
assert.equal(shards.Shards.length, 2);
await assert.rejects(k.send(new DescribeStreamSummaryCommand({ StreamName: "nope" })),
  (e) => e instanceof ResourceNotFoundException &&
         e.message === "Stream nope under account 000000000000 not found.");
console.log("JS-KINESIS-OK");
"""


def test_js_sdk_kinesis(emu):
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "@aws-sdk", "client-kinesis")):
        pytest.skip("npm packages missing: run make deps")
    env = dict(os.environ, EMU_ENDPOINT=emu.endpoint)
    r = subprocess.run(["node", "--input-type=module", "-e", SCRIPT], cwd=NODE_DIR, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    assert "JS-KINESIS-OK" in r.stdout
