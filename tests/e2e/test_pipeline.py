"""The whole pipeline offline: generator -> Kinesis stream -> event source mapping ->
the C handler as a Lambda runtime -> DynamoDB table, as the README shows it."""
import json
import os
import subprocess
import time

from conftest import EMU_BIN, HANDLER_BIN


def expected_sightings(tmp_path, seed, count):
    out = tmp_path / "records.jsonl"
    subprocess.run([EMU_BIN, "generate", "--out", str(out), "--count", str(count),
                    "--seed", str(seed)], check=True, capture_output=True)
    faces = []
    for line in out.read_text().splitlines():
        rec = json.loads(line)
        for f in rec["FaceSearchResponse"]:
            for m in f["MatchedFaces"]:
                faces.append(m["Face"]["FaceId"])
    return faces


def wait_for_count(ddb, table, n, timeout=60):
    deadline = time.time() + timeout
    got = -1
    while time.time() < deadline:
        got = ddb.scan(TableName=table, Select="COUNT")["Count"]
        if got >= n:
            return got
        time.sleep(0.2)
    return got


def test_generator_to_table_end_to_end(emu_factory, tmp_path):
    e = emu_factory(args=[
        "--function", "face-ingest=" + HANDLER_BIN, "--fn-timeout", "30",
        "--fn-env", "TABLE_NAME=searchFaceResponse",
        "--event-source", "faces:face-ingest,StartingPosition=TRIM_HORIZON,BatchSize=100,"
                          "FunctionResponseTypes=ReportBatchItemFailures"],
        db=str(tmp_path / "emu.db"))
    ddb = e.client("dynamodb")
    ddb.create_table(TableName="searchFaceResponse",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    faces = expected_sightings(tmp_path, 42, 400)
    assert len(faces) > 200
    r = subprocess.run([EMU_BIN, "generate", "--endpoint", e.endpoint, "--stream", "faces",
                        "--create", "--shards", "2", "--count", "400", "--rate", "0",
                        "--seed", "42"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert wait_for_count(ddb, "searchFaceResponse", len(faces)) == len(faces)
    items = [i for p in ddb.get_paginator("scan").paginate(TableName="searchFaceResponse")
             for i in p["Items"]]
    assert sorted(i["FaceId"]["S"] for i in items) == sorted(faces)
    assert all(80 <= float(i["Similarity"]["N"]) <= 100 for i in items)
    lam = e.client("lambda")
    m = lam.list_event_source_mappings(FunctionName="face-ingest")["EventSourceMappings"]
    assert m[0]["LastProcessingResult"] == "OK"
    # Every record was checkpointed: a restart delivers nothing again and the
    # table is unchanged (ids derive from the record identity anyway).
    e.stop()
    e.start()
    time.sleep(1.5)
    ddb = e.client("dynamodb")
    assert ddb.scan(TableName="searchFaceResponse", Select="COUNT")["Count"] == len(faces)
