"""End-to-end tests of `emu generate`: face-search records put through PutRecords into a
live emu, read back with boto3 GetRecords from every shard; --out determinism; bad options.

    EMU_BIN=./emu /usr/bin/python3 -m pytest tests/e2e/test_generate.py -q
"""
import json
import os
import subprocess

import pytest

from conftest import EMU_BIN, ROOT

COLLECTION = os.path.join(ROOT, "fixtures", "collection.json")


def generate(*args, endpoint=None, check=True, timeout=120):
    env = dict(os.environ)
    env.pop("AWS_ENDPOINT_URL", None)
    env.pop("AWS_ENDPOINT_URL_KINESIS", None)
    cmd = [EMU_BIN, "generate", *args]
    if endpoint:
        cmd += ["--endpoint", endpoint]
    p = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env)
    if check:
        assert p.returncode == 0, p.stderr.decode()
    return p


def read_stream(kinesis, name):
    """All records of every shard, from TRIM_HORIZON to the end."""
    out = []
    for shard in kinesis.list_shards(StreamName=name)["Shards"]:
        it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            r = kinesis.get_records(ShardIterator=it, Limit=10000)
            out.extend(r["Records"])
            if not r["Records"] and r.get("MillisBehindLatest", 0) == 0:
                break
            it = r.get("NextShardIterator")
    return out


def load_people(path=COLLECTION):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    return {p["FaceId"]: p for p in doc["people"]}


def check_box(b):
    assert set(b) == {"Width", "Height", "Left", "Top"}
    for v in b.values():
        assert isinstance(v, float) and 0 <= v <= 1


def check_record(rec, people, faces=(0, 3), matches=(0, 2)):
    assert list(rec) == ["InputInformation", "StreamProcessorInformation", "FaceSearchResponse"]
    kv = rec["InputInformation"]["KinesisVideo"]
    assert set(kv) == {"StreamArn", "FragmentNumber", "ServerTimestamp", "ProducerTimestamp",
                       "FrameOffsetInSeconds"}
    assert kv["StreamArn"].startswith("arn:aws:kinesisvideo:")
    assert kv["FragmentNumber"].isdigit() and len(kv["FragmentNumber"]) == 47
    for k in ("ServerTimestamp", "ProducerTimestamp", "FrameOffsetInSeconds"):
        assert isinstance(kv[k], float)
    assert kv["ServerTimestamp"] > kv["ProducerTimestamp"]
    assert rec["StreamProcessorInformation"] == {"Status": "RUNNING"}
    fsr = rec["FaceSearchResponse"]
    assert faces[0] <= len(fsr) <= faces[1]
    for face in fsr:
        d = face["DetectedFace"]
        check_box(d["BoundingBox"])
        assert 0 <= d["Confidence"] <= 100
        assert [m["Type"] for m in d["Landmarks"]] == [
            "eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight"]
        assert set(d["Pose"]) == {"Pitch", "Roll", "Yaw"}
        assert set(d["Quality"]) == {"Brightness", "Sharpness"}
        ms = face["MatchedFaces"]
        assert matches[0] <= len(ms) <= matches[1]
        sims = [m["Similarity"] for m in ms]
        assert sims == sorted(sims, reverse=True)
        for m in ms:
            assert 80 <= m["Similarity"] <= 100
            f = m["Face"]
            check_box(f["BoundingBox"])
            p = people[f["FaceId"]]
            assert f["ImageId"] == p["ImageId"]
            assert f.get("ExternalImageId") == p.get("ExternalImageId")
            assert 0 <= f["Confidence"] <= 100


def test_generate_into_stream(emu, tmp_path):
    kinesis = emu.client("kinesis")
    kinesis.create_stream(StreamName="faces", ShardCount=3)
    kinesis.get_waiter("stream_exists").wait(StreamName="faces",
                                             WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    args = ["--count", "700", "--faces", "0-3", "--matches", "0-2", "--collection", COLLECTION,
            "--seed", "42"]
    p = generate("--stream", "faces", "--rate", "0", *args, endpoint=emu.endpoint)
    summary = p.stderr.decode()
    assert "700 records sent to faces" in summary and "0 dropped" in summary
    assert summary.count("\n") == 1   # not a TTY: one final line, no progress
    recs = read_stream(kinesis, "faces")
    assert len(recs) == 700
    people = load_people()
    seen_faces, seen_matches = set(), set()
    for r in recs:
        assert r["PartitionKey"].isdigit() and int(r["PartitionKey"]) < 10 ** 10
        rec = json.loads(r["Data"].decode("utf-8"))
        check_record(rec, people)
        seen_faces.add(len(rec["FaceSearchResponse"]))
        seen_matches.update(len(f["MatchedFaces"]) for f in rec["FaceSearchResponse"])
    assert seen_faces == {0, 1, 2, 3} and seen_matches == {0, 1, 2}
    # the records sent (700 > 500: at least two PutRecords chunks) are exactly
    # those --out writes for the same seed
    out = tmp_path / "faces.jsonl"
    generate("--out", str(out), *args)
    lines = out.read_bytes().decode("utf-8").splitlines()
    assert sorted(lines) == sorted(r["Data"].decode("utf-8") for r in recs)


def test_out_deterministic(tmp_path):
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    common = ["--count", "300", "--collection", COLLECTION]
    generate("--out", str(a), "--seed", "7", *common)
    generate("--out", str(b), "--seed", "7", *common)
    generate("--out", str(c), "--seed", "8", *common)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    lines = a.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 300
    people = load_people()
    for line in lines:
        check_record(json.loads(line), people)
    # a collection person without ExternalImageId, and the non-ASCII one, show up
    ext = {m["Face"].get("ExternalImageId") for line in lines
           for f in json.loads(line)["FaceSearchResponse"] for m in f["MatchedFaces"]}
    assert None in ext and any(e and not e.isascii() for e in ext)
    # --duration with --rate gives rate * duration records
    d = tmp_path / "d.jsonl"
    generate("--out", str(d), "--seed", "7", "--rate", "50", "--duration", "2s")
    assert len(d.read_text().splitlines()) == 100


def test_create_and_rate(emu):
    p = generate("--stream", "made", "--create", "--shards", "2", "--rate", "100", "--duration",
                 "1.5s", "--faces", "1", "--matches", "1", endpoint=emu.endpoint)
    assert "150 records sent to made" in p.stderr.decode()
    kinesis = emu.client("kinesis")
    assert len(kinesis.list_shards(StreamName="made")["Shards"]) == 2
    recs = read_stream(kinesis, "made")
    assert len(recs) == 150
    for r in recs:
        rec = json.loads(r["Data"])
        assert len(rec["FaceSearchResponse"]) == 1
        assert len(rec["FaceSearchResponse"][0]["MatchedFaces"]) == 1


def test_rate_is_paced(emu):
    emu.client("kinesis").create_stream(StreamName="paced", ShardCount=1)
    import time
    t0 = time.monotonic()
    generate("--stream", "paced", "--rate", "200", "--count", "400", endpoint=emu.endpoint)
    assert 1.5 <= time.monotonic() - t0 < 6


def test_failed_entries_retried(emu_factory):
    e = emu_factory(["--kinesis-error-rate", "0.3"])
    kinesis = e.client("kinesis")
    # The throttling is random in emu: 40 attempts make a drop (0.3^40) impossible in practice.
    p = generate("--stream", "flaky", "--create", "--count", "1000", "--rate", "0", "--seed", "3",
                 "--max-attempts", "40",
                 endpoint=e.endpoint)
    summary = p.stderr.decode()
    assert "1000 records sent" in summary and "0 dropped" in summary
    retried = int(summary.split(" failed entries retried")[0].rsplit(" ", 1)[1])
    assert retried > 100
    recs = read_stream(kinesis, "flaky")
    assert len(recs) == 1000
    assert len({r["Data"] for r in recs}) == 1000   # each record exactly once


def test_missing_stream_is_an_error(emu):
    p = generate("--stream", "absent", "--count", "5", endpoint=emu.endpoint, check=False)
    assert p.returncode == 1
    assert b"ResourceNotFoundException" in p.stderr and b"--create" in p.stderr


def test_endpoint_from_environment(emu):
    emu.client("kinesis").create_stream(StreamName="envy", ShardCount=1)
    env = dict(os.environ, AWS_ENDPOINT_URL_KINESIS=emu.endpoint)
    p = subprocess.run([EMU_BIN, "generate", "--stream", "envy", "--count", "3", "--rate", "0"],
                       capture_output=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert len(read_stream(emu.client("kinesis"), "envy")) == 3


@pytest.mark.parametrize("args", [
    [], ["--stream"], ["--stream", "s", "--rate", "fast"], ["--stream", "s", "--faces", "3-1"],
    ["--stream", "s", "--matches", "0-2", "--collection", "/nonexistent.json"],
    ["--stream", "s", "--matches", "0-50", "--count", "1"], ["--stream", "s", "--bogus"],
    ["--out", "x.jsonl"], ["--stream", "s", "--count", "1", "--duration", "1s"],
    ["--stream", "s", "--endpoint", "localhost:8000", "--count", "1"],
])
def test_bad_options(args, tmp_path):
    p = subprocess.run([EMU_BIN, "generate", *args], capture_output=True, cwd=tmp_path,
                       timeout=30)
    assert p.returncode in (1, 2), p
    assert p.returncode > 0 and p.stderr.startswith(b"emu generate: ")
    assert not list(tmp_path.iterdir())   # nothing written


def test_help():
    p = subprocess.run([EMU_BIN, "generate", "--help"], capture_output=True, timeout=30)
    assert p.returncode == 0 and b"usage: emu generate" in p.stdout
