#!/usr/bin/python3
"""setup.py - tables, streams and preloaded data for the wrk scenarios.

Owns the data layout the Lua scripts assume (keep the two in step):
  bench_faces      HASH id (S)            get-%06d for 0 <= n < GET_KEYS (GetItem),
                                          writes of put/cond/batch/tx/ctr keys
  bench_sightings  HASH pk (S), RANGE sk  q-%04d x s-%04d: PARTS x PER items (Query, Scan)
  bench_put        4 shards               PutRecords target
  bench_get        2 shards               GET_RECORDS records of 1 KB (GetRecords)

Entry points (all raise on failure; every call has a timeout):
  setup_ddb(endpoint)                 create both tables, wait ACTIVE, preload
  setup_kin(endpoint)                 create both streams, wait ACTIVE, preload
  write_iterators(endpoint, n, path)  n TRIM_HORIZON iterators of bench_get, one a line

Standalone: setup.py ddb|kin ENDPOINT  or  setup.py iters ENDPOINT N FILE
Uses Debian's boto3 (python3-boto3) and /usr/bin/python3.
"""
import concurrent.futures
import os
import random
import sys
import time

import boto3
from botocore.config import Config

GET_KEYS = 10000
PARTS = 200
PER = 20
GET_RECORDS = 2000
PUT_SHARDS = 4
GET_SHARDS = 2
WAIT_S = 20

_CFG = Config(connect_timeout=3, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"},
              max_pool_connections=8)


def client(service, endpoint):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="bench", aws_secret_access_key="bench", config=_CFG)


def face_item(key, **extra):
    """The same ~300-byte face sighting as common.lua's face_item."""
    r = random.randrange(0x7fffffff)
    item = {
        "id": {"S": key}, "ItemType": {"S": "sighting"},
        "FaceId": {"S": "%08x-9e57-4f7a-a0ee-89aed453dd32" % r},
        "ImageId": {"S": "%08x-b1c4-4d2a-9f31-5a7c0e6b2d48" % (r + 1)},
        "ExternalImageId": {"S": "person#alice.jpg"},
        "Similarity": {"N": "99.%04d" % (r % 10000)}, "Confidence": {"N": "99.9876"},
        "FrameTimestamp": {"N": str(1700000000000 + r % 100000)},
        "SequenceNumber": {"S": "49590338271490256608559692538361571095921575989136588898"},
        "ShardId": {"S": "shardId-000000000000"},
    }
    item.update(extra)
    return item


def _wait(what, probe):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.05)
    raise RuntimeError("%s not ACTIVE after %d s" % (what, WAIT_S))


def _create_table(ddb, name, keys):
    attrs = [{"AttributeName": k, "AttributeType": "S"} for k, _ in keys]
    schema = [{"AttributeName": k, "KeyType": t} for k, t in keys]
    try:
        ddb.create_table(TableName=name, AttributeDefinitions=attrs, KeySchema=schema,
                         BillingMode="PAY_PER_REQUEST")
    except ddb.exceptions.ResourceInUseException:
        pass
    _wait("table " + name,
          lambda: ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE")


def _batch_write(ddb, table, items):
    """BatchWriteItem of up to 25 items, re-sending UnprocessedItems (bounded)."""
    req = {table: [{"PutRequest": {"Item": it}} for it in items]}
    for _ in range(20):
        left = ddb.batch_write_item(RequestItems=req).get("UnprocessedItems") or {}
        if not left:
            return
        req = left
        time.sleep(0.05)
    raise RuntimeError("BatchWriteItem: items still unprocessed")


def _load(ddb, table, items):
    chunks = [items[i:i + 25] for i in range(0, len(items), 25)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for f in [pool.submit(_batch_write, ddb, table, ch) for ch in chunks]:
            f.result(timeout=120)


def setup_ddb(endpoint):
    ddb = client("dynamodb", endpoint)
    _create_table(ddb, "bench_faces", [("id", "HASH")])
    _create_table(ddb, "bench_sightings", [("pk", "HASH"), ("sk", "RANGE")])
    _load(ddb, "bench_faces", [face_item("get-%06d" % n) for n in range(GET_KEYS)])
    _load(ddb, "bench_sightings",
          [face_item("q-%04d-%04d" % (p, s), pk={"S": "q-%04d" % p}, sk={"S": "s-%04d" % s})
           for p in range(PARTS) for s in range(PER)])
    # Spot checks: the scenarios count a missing item as an error, so fail early here.
    if "Item" not in ddb.get_item(TableName="bench_faces", Key={"id": {"S": "get-000042"}}):
        raise RuntimeError("preloaded item get-000042 not found")
    n = ddb.query(TableName="bench_sightings", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "q-0007"}})["Count"]
    if n != PER:
        raise RuntimeError("Query of q-0007 returned %d items, expected %d" % (n, PER))


def _create_stream(kin, name, shards):
    try:
        kin.create_stream(StreamName=name, ShardCount=shards)
    except kin.exceptions.ResourceInUseException:
        pass
    _wait("stream " + name, lambda: kin.describe_stream_summary(StreamName=name)
          ["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE")


def setup_kin(endpoint):
    kin = client("kinesis", endpoint)
    _create_stream(kin, "bench_put", PUT_SHARDS)
    _create_stream(kin, "bench_get", GET_SHARDS)
    for b in range(GET_RECORDS // 100):
        recs = [{"Data": os.urandom(1024), "PartitionKey": "face-%d-%d" % (b, i)}
                for i in range(100)]
        out = kin.put_records(StreamName="bench_get", Records=recs)
        if out.get("FailedRecordCount"):
            raise RuntimeError("PutRecords preload: %d failed" % out["FailedRecordCount"])


def write_iterators(endpoint, n, path):
    """n TRIM_HORIZON iterators of bench_get, round-robin over its shards."""
    kin = client("kinesis", endpoint)
    shards = [s["ShardId"] for s in kin.list_shards(StreamName="bench_get")["Shards"]]
    its = [kin.get_shard_iterator(StreamName="bench_get", ShardId=shards[i % len(shards)],
                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
           for i in range(n)]
    with open(path, "w") as f:
        f.write("\n".join(its) + "\n")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "ddb":
        setup_ddb(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "kin":
        setup_kin(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "iters":
        write_iterators(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit("usage: setup.py ddb|kin ENDPOINT | iters ENDPOINT N FILE")
