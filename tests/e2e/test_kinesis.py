"""Kinesis Data Streams end to end: boto3 (Debian's 1.26) and the AWS CLI
against a live emu (fixtures in conftest.py)."""
import base64
import concurrent.futures
import hashlib
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request

import botocore.exceptions
import pytest

MAX_HASH = 2**128 - 1


@pytest.fixture
def kin(emu):
    return emu.client("kinesis")


def error_of(excinfo):
    e = excinfo.value.response["Error"]
    return e["Code"], e.get("Message", "")


def shard_ids(kin, name):
    return [s["ShardId"] for s in kin.list_shards(StreamName=name)["Shards"]]


def read_all(kin, name, shard_id, it_type="TRIM_HORIZON", **kw):
    """Every record of a shard from a starting position, following
    NextShardIterator until the shard is drained; returns (records, last response)."""
    it = kin.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType=it_type,
                                **kw)["ShardIterator"]
    out = []
    while True:
        r = kin.get_records(ShardIterator=it)
        out += r["Records"]
        nxt = r.get("NextShardIterator")
        if not r["Records"] or nxt is None:
            return out, r
        assert nxt != it
        it = nxt


def route(pk, shards):
    h = int(hashlib.md5(pk.encode()).hexdigest(), 16)
    for s in shards:
        r = s["HashKeyRange"]
        if int(r["StartingHashKey"]) <= h <= int(r["EndingHashKey"]) and \
                "EndingSequenceNumber" not in s["SequenceNumberRange"]:
            return s["ShardId"]
    raise AssertionError("no shard for " + pk)


def test_create_describe_list(kin):
    kin.create_stream(StreamName="orders", ShardCount=3)
    d = kin.describe_stream(StreamName="orders")["StreamDescription"]
    assert d["StreamStatus"] == "ACTIVE"   # no CREATING delay by default
    assert d["StreamARN"] == "arn:aws:kinesis:us-east-1:000000000000:stream/orders"
    assert d["RetentionPeriodHours"] == 24
    assert d["HasMoreShards"] is False
    assert [s["ShardId"] for s in d["Shards"]] == [
        "shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]
    ranges = [(int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
              for s in d["Shards"]]
    assert ranges[0][0] == 0 and ranges[-1][1] == MAX_HASH
    assert all(ranges[i][1] + 1 == ranges[i + 1][0] for i in range(2))
    assert ranges[1][0] == (2**128 // 3)
    kin.get_waiter("stream_exists").wait(StreamName="orders", WaiterConfig={"Delay": 0.1})
    summ = kin.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]
    assert summ["OpenShardCount"] == 3 and summ["StreamModeDetails"]["StreamMode"] == "PROVISIONED"
    for i in range(5):
        kin.create_stream(StreamName="s%d" % i, ShardCount=1)
    page = kin.list_streams(Limit=3)
    assert page["StreamNames"] == ["orders", "s0", "s1"] and page["HasMoreStreams"] is True
    page2 = kin.list_streams(Limit=3, ExclusiveStartStreamName="s1")
    assert page2["StreamNames"] == ["s2", "s3", "s4"]
    assert page2["HasMoreStreams"] is False
    kin.delete_stream(StreamName="s0")
    assert "s0" not in kin.list_streams()["StreamNames"]


def test_on_demand_and_stream_mode(kin):
    kin.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    s = kin.describe_stream_summary(StreamName="od")["StreamDescriptionSummary"]
    assert s["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"
    assert s["OpenShardCount"] == 4
    kin.update_stream_mode(StreamARN=s["StreamARN"],
                           StreamModeDetails={"StreamMode": "PROVISIONED"})
    s = kin.describe_stream_summary(StreamName="od")["StreamDescriptionSummary"]
    assert s["StreamModeDetails"]["StreamMode"] == "PROVISIONED"


def test_one_mib_record_round_trip_byte_exact(kin):
    kin.create_stream(StreamName="big", ShardCount=1)
    pk = "k"
    data = os.urandom(1048576 - len(pk))  # the limit counts data + partition key
    r = kin.put_record(StreamName="big", Data=data, PartitionKey=pk)
    recs, _ = read_all(kin, "big", r["ShardId"])
    assert len(recs) == 1
    assert recs[0]["Data"] == data
    assert recs[0]["SequenceNumber"] == r["SequenceNumber"]
    assert recs[0]["PartitionKey"] == pk
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.put_record(StreamName="big", Data=data + b"x", PartitionKey=pk)
    assert error_of(ei)[0] == "ValidationException"
    # Empty payloads and every byte value survive too.
    kin.put_record(StreamName="big", Data=bytes(range(256)), PartitionKey="bytes")
    recs, _ = read_all(kin, "big", r["ShardId"], "AFTER_SEQUENCE_NUMBER",
                       StartingSequenceNumber=r["SequenceNumber"])
    assert [x["Data"] for x in recs] == [bytes(range(256))]


def test_routing_md5_and_explicit_hash_key(kin):
    kin.create_stream(StreamName="route", ShardCount=4)
    shards = kin.describe_stream(StreamName="route")["StreamDescription"]["Shards"]
    for pk in ["a", "b", "user-17", "héllo", "x" * 256]:
        r = kin.put_record(StreamName="route", Data=b"1", PartitionKey=pk)
        assert r["ShardId"] == route(pk, shards)
    r = kin.put_record(StreamName="route", Data=b"1", PartitionKey="a",
                       ExplicitHashKey=str(MAX_HASH))
    assert r["ShardId"] == "shardId-000000000003"
    r = kin.put_record(StreamName="route", Data=b"1", PartitionKey="a", ExplicitHashKey="0")
    assert r["ShardId"] == "shardId-000000000000"
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.put_record(StreamName="route", Data=b"1", PartitionKey="a",
                       ExplicitHashKey=str(2**128))
    code, msg = error_of(ei)
    assert code == "InvalidArgumentException" and "ExplicitHashKey" in msg
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.put_record(StreamName="route", Data=b"1", PartitionKey="x" * 257)
    assert error_of(ei)[0] == "ValidationException"


def test_put_records_positional_results(kin):
    kin.create_stream(StreamName="batch", ShardCount=3)
    shards = kin.describe_stream(StreamName="batch")["StreamDescription"]["Shards"]
    entries = [{"Data": ("payload-%d" % i).encode(), "PartitionKey": "pk-%d" % i}
               for i in range(500)]
    r = kin.put_records(StreamName="batch", Records=entries)
    assert r["FailedRecordCount"] == 0
    assert len(r["Records"]) == 500
    by_seq = {}
    for e, res in zip(entries, r["Records"]):
        assert res["ShardId"] == route(e["PartitionKey"], shards)
        by_seq[res["SequenceNumber"]] = e["Data"]
    assert len(by_seq) == 500
    seen = 0
    for s in shards:
        recs, _ = read_all(kin, "batch", s["ShardId"])
        seqs = [int(x["SequenceNumber"]) for x in recs]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        for x in recs:
            assert by_seq[x["SequenceNumber"]] == x["Data"]
        seen += len(recs)
    assert seen == 500
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.put_records(StreamName="batch", Records=entries + entries[:1])
    assert error_of(ei)[0] == "ValidationException"
    # A malformed entry fails the whole request: nothing is written.
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.put_records(StreamName="batch", Records=[
            {"Data": b"ok", "PartitionKey": "a"},
            {"Data": b"bad", "PartitionKey": "a", "ExplicitHashKey": str(2**128)}])
    assert error_of(ei)[0] == "InvalidArgumentException"
    total = sum(len(read_all(kin, "batch", s["ShardId"])[0]) for s in shards)
    assert total == 500


def test_sequence_numbers_increase_and_iterator_types(kin):
    kin.create_stream(StreamName="seq", ShardCount=1)
    seqs = [kin.put_record(StreamName="seq", Data=b"%d" % i, PartitionKey="p")["SequenceNumber"]
            for i in range(10)]
    assert all(int(a) < int(b) for a, b in zip(seqs, seqs[1:]))
    sid = "shardId-000000000000"
    recs, _ = read_all(kin, "seq", sid, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[4])
    assert [x["Data"] for x in recs] == [b"%d" % i for i in range(4, 10)]
    recs, _ = read_all(kin, "seq", sid, "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[4])
    assert [x["Data"] for x in recs] == [b"%d" % i for i in range(5, 10)]
    it = kin.get_shard_iterator(StreamName="seq", ShardId=sid,
                                ShardIteratorType="LATEST")["ShardIterator"]
    r = kin.get_records(ShardIterator=it)
    assert r["Records"] == [] and r["MillisBehindLatest"] == 0
    kin.put_record(StreamName="seq", Data=b"new", PartitionKey="p")
    r2 = kin.get_records(ShardIterator=r["NextShardIterator"])
    assert [x["Data"] for x in r2["Records"]] == [b"new"]
    # Limit and MillisBehindLatest.
    it = kin.get_shard_iterator(StreamName="seq", ShardId=sid,
                                ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    r = kin.get_records(ShardIterator=it, Limit=3)
    assert [x["Data"] for x in r["Records"]] == [b"0", b"1", b"2"]
    assert r["MillisBehindLatest"] >= 0
    # Reusing an old iterator re-reads the same position (iterators are immutable).
    r_again = kin.get_records(ShardIterator=it, Limit=3)
    assert [x["SequenceNumber"] for x in r_again["Records"]] == \
        [x["SequenceNumber"] for x in r["Records"]]
    assert r_again["NextShardIterator"] != r["NextShardIterator"]


def test_at_timestamp_int_and_float(emu, kin):
    kin.create_stream(StreamName="ts", ShardCount=1)
    sid = "shardId-000000000000"
    kin.put_record(StreamName="ts", Data=b"old", PartitionKey="p")
    time.sleep(1.1)
    t_mid = time.time()
    time.sleep(0.05)
    kin.put_record(StreamName="ts", Data=b"new1", PartitionKey="p")
    kin.put_record(StreamName="ts", Data=b"new2", PartitionKey="p")
    # botocore 1.29 serialises the datetime as whole seconds.
    recs, _ = read_all(kin, "ts", sid, "AT_TIMESTAMP", Timestamp=t_mid)
    assert [x["Data"] for x in recs] == [b"new1", b"new2"]
    # Fractional seconds on the wire (newer SDKs) are honoured to the ms.
    time.sleep(0.3)
    t_frac = time.time()
    time.sleep(0.05)
    kin.put_record(StreamName="ts", Data=b"new3", PartitionKey="p")
    st, _, body = raw_call(emu, "GetShardIterator", json.dumps({
        "StreamName": "ts", "ShardId": sid, "ShardIteratorType": "AT_TIMESTAMP",
        "Timestamp": t_frac}).encode())
    assert st == 200
    st, _, body = raw_call(emu, "GetRecords", json.dumps(
        {"ShardIterator": body["ShardIterator"]}).encode())
    assert [base64.b64decode(x["Data"]) for x in body["Records"]] == [b"new3"]
    assert isinstance(body["Records"][0]["ApproximateArrivalTimestamp"], (int, float))
    # Integer epoch seconds, as Debian's botocore 1.29 sends them: the
    # whole second before t_mid still includes only records at/after it.
    recs, _ = read_all(kin, "ts", sid, "AT_TIMESTAMP", Timestamp=int(t_mid) - 5)
    assert [x["Data"] for x in recs] == [b"old", b"new1", b"new2", b"new3"]
    # After the newest record: an iterator whose reads are empty, at once.
    start = time.time()
    recs, last = read_all(kin, "ts", sid, "AT_TIMESTAMP", Timestamp=time.time() + 2)
    assert recs == [] and last["NextShardIterator"]
    assert time.time() - start < 2
    # Raw JSON with both number forms reaches the same result.
    arrival = kin.get_records(ShardIterator=kin.get_shard_iterator(
        StreamName="ts", ShardId=sid, ShardIteratorType="TRIM_HORIZON")["ShardIterator"])
    stamps = [x["ApproximateArrivalTimestamp"].timestamp() for x in arrival["Records"]]
    assert stamps == sorted(stamps) and abs(stamps[-1] - time.time()) < 30


def test_resharding_split_merge_child_shards(kin):
    kin.create_stream(StreamName="rs", ShardCount=1)
    parent = "shardId-000000000000"
    before = [kin.put_record(StreamName="rs", Data=b"b%d" % i, PartitionKey="k%d" % i)
              for i in range(20)]
    kin.split_shard(StreamName="rs", ShardToSplit=parent, NewStartingHashKey=str(2**127))
    shards = kin.describe_stream(StreamName="rs")["StreamDescription"]["Shards"]
    assert len(shards) == 3
    assert "EndingSequenceNumber" in shards[0]["SequenceNumberRange"]
    kids = shards[1:]
    assert [k["ParentShardId"] for k in kids] == [parent, parent]
    assert kids[0]["HashKeyRange"] == {"StartingHashKey": "0",
                                       "EndingHashKey": str(2**127 - 1)}
    assert kids[1]["HashKeyRange"] == {"StartingHashKey": str(2**127),
                                       "EndingHashKey": str(MAX_HASH)}
    after = [kin.put_record(StreamName="rs", Data=b"a%d" % i, PartitionKey="k%d" % i)
             for i in range(20)]
    assert all(r["ShardId"] != parent for r in after)
    # Reading the closed parent ends with ChildShards and no NextShardIterator.
    recs, last = read_all(kin, "rs", parent)
    assert [x["Data"] for x in recs] == [b"b%d" % i for i in range(20)]
    assert last.get("NextShardIterator") is None
    assert sorted(c["ShardId"] for c in last["ChildShards"]) == [k["ShardId"] for k in kids]
    assert all(c["ParentShards"] == [parent] for c in last["ChildShards"])
    got = []
    for c in last["ChildShards"]:
        got += [x["Data"] for x in read_all(kin, "rs", c["ShardId"])[0]]
    assert sorted(got) == sorted(b"a%d" % i for i in range(20))
    # Splitting a closed shard again is refused.
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.split_shard(StreamName="rs", ShardToSplit=parent, NewStartingHashKey="5")
    assert error_of(ei)[0] == "InvalidArgumentException"
    # Merge the two children back.
    kin.merge_shards(StreamName="rs", ShardToMerge=kids[0]["ShardId"],
                     AdjacentShardToMerge=kids[1]["ShardId"])
    merged = kin.describe_stream(StreamName="rs")["StreamDescription"]["Shards"][-1]
    assert merged["ParentShardId"] == kids[0]["ShardId"]
    assert merged["AdjacentParentShardId"] == kids[1]["ShardId"]
    assert merged["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(MAX_HASH)}
    recs, last = read_all(kin, "rs", kids[0]["ShardId"])
    assert last["ChildShards"][0]["ShardId"] == merged["ShardId"]
    assert last["ChildShards"][0]["ParentShards"] == [kids[0]["ShardId"], kids[1]["ShardId"]]
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.split_shard(StreamName="rs", ShardToSplit=merged["ShardId"], NewStartingHashKey="0")
    assert error_of(ei)[0] == "InvalidArgumentException"


def test_update_shard_count_and_list_shards(kin):
    kin.create_stream(StreamName="usc", ShardCount=2)
    r = kin.update_shard_count(StreamName="usc", TargetShardCount=4,
                               ScalingType="UNIFORM_SCALING")
    assert r["CurrentShardCount"] == 2 and r["TargetShardCount"] == 4
    open_shards = kin.list_shards(StreamName="usc", ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert len(open_shards) == 4
    assert all(s.get("ParentShardId") in ("shardId-000000000000", "shardId-000000000001")
               for s in open_shards)
    assert int(open_shards[0]["HashKeyRange"]["StartingHashKey"]) == 0
    assert int(open_shards[-1]["HashKeyRange"]["EndingHashKey"]) == MAX_HASH
    # Pagination with NextToken (no StreamName alongside).
    p1 = kin.list_shards(StreamName="usc", MaxResults=4)
    assert len(p1["Shards"]) == 4 and "NextToken" in p1
    p2 = kin.list_shards(NextToken=p1["NextToken"], MaxResults=4)
    assert [s["ShardId"] for s in p2["Shards"]] == ["shardId-000000000004", "shardId-000000000005"]
    assert "NextToken" not in p2
    after = kin.list_shards(StreamName="usc", ExclusiveStartShardId="shardId-000000000003")
    assert [s["ShardId"] for s in after["Shards"]] == ["shardId-000000000004",
                                                        "shardId-000000000005"]
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.list_shards(StreamName="usc", NextToken=p1["NextToken"])
    assert error_of(ei)[0] == "InvalidArgumentException"


def test_errors_types_and_messages(kin):
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.describe_stream(StreamName="missing")
    assert error_of(ei) == ("ResourceNotFoundException",
                            "Stream missing under account 000000000000 not found.")
    kin.create_stream(StreamName="dup", ShardCount=1)
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.create_stream(StreamName="dup", ShardCount=1)
    assert error_of(ei) == ("ResourceInUseException",
                            "Stream dup under account 000000000000 already exists.")
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.get_records(ShardIterator="AAAA" * 20)
    assert error_of(ei) == ("InvalidArgumentException", "Invalid ShardIterator.")
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.get_shard_iterator(StreamName="dup", ShardId="shardId-000000000009",
                               ShardIteratorType="TRIM_HORIZON")
    assert error_of(ei) == ("ResourceNotFoundException",
                            "Shard shardId-000000000009 in stream dup under account "
                            "000000000000 does not exist")
    # A sequence number from another shard.
    kin.create_stream(StreamName="two", ShardCount=2)
    r = kin.put_record(StreamName="two", Data=b"x", PartitionKey="a",
                       ExplicitHashKey=str(MAX_HASH))
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.get_shard_iterator(StreamName="two", ShardId="shardId-000000000000",
                               ShardIteratorType="AT_SEQUENCE_NUMBER",
                               StartingSequenceNumber=r["SequenceNumber"])
    code, msg = error_of(ei)
    assert code == "InvalidArgumentException" and "shardId-000000000001" in msg
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.get_shard_iterator(StreamName="two", ShardId="shardId-000000000000",
                               ShardIteratorType="AT_SEQUENCE_NUMBER")
    assert error_of(ei)[0] == "InvalidArgumentException"
    # A tampered iterator.
    it = kin.get_shard_iterator(StreamName="two", ShardId="shardId-000000000000",
                                ShardIteratorType="LATEST")["ShardIterator"]
    bad = it[:10] + ("A" if it[10] != "A" else "B") + it[11:]
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.get_records(ShardIterator=bad)
    assert error_of(ei)[0] == "InvalidArgumentException"
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.get_records(ShardIterator=it, Limit=10001)
    assert error_of(ei)[0] == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.increase_stream_retention_period(StreamName="two", RetentionPeriodHours=12)
    assert error_of(ei)[0] == "InvalidArgumentException"
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.merge_shards(StreamName="two", ShardToMerge="shardId-000000000000",
                         AdjacentShardToMerge="shardId-000000000000")
    assert error_of(ei)[0] == "InvalidArgumentException"
    # The iterator of a deleted stream.
    kin.delete_stream(StreamName="two")
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.get_records(ShardIterator=it)
    assert error_of(ei)[0] == "ResourceNotFoundException"


def raw_call(emu, target, body):
    """POST a raw JSON 1.1 request; (status, content type, decoded body)."""
    req = urllib.request.Request(emu.endpoint + "/", data=body, method="POST", headers={
        "X-Amz-Target": "Kinesis_20131202." + target,
        "Content-Type": "application/x-amz-json-1.1"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.headers["Content-Type"], json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], json.loads(e.read())


def test_raw_protocol_errors(emu):
    def call(target, body):
        return raw_call(emu, target, body)

    st, ct, body = call("NoSuchThing", b"{}")
    assert st == 400 and body["__type"] == "UnknownOperationException"
    assert ct == "application/x-amz-json-1.1"
    st, _, body = call("ListStreams", b"not json")
    assert st == 400 and body["__type"] == "SerializationException"
    st, _, body = call("CreateStream", json.dumps({"StreamName": "bad name!",
                                                   "ShardCount": 1}).encode())
    assert st == 400 and body["__type"] == "ValidationException"
    assert "[a-zA-Z0-9_.-]+" in body["message"]
    st, _, body = call("CreateStream", json.dumps({"StreamName": "ok", "ShardCount": 1}).encode())
    assert st == 200 and body == {}
    # Every operation takes StreamARN in place of StreamName (newer SDKs send it).
    arn = "arn:aws:kinesis:us-east-1:000000000000:stream/ok"
    st, _, body = call("DescribeStreamSummary", json.dumps({"StreamARN": arn}).encode())
    assert st == 200 and body["StreamDescriptionSummary"]["StreamName"] == "ok"
    st, _, body = call("PutRecord", json.dumps({"StreamARN": arn, "PartitionKey": "p",
                                                "Data": base64.b64encode(b"hi").decode()}).encode())
    assert st == 200 and body["ShardId"] == "shardId-000000000000"
    st, _, body = call("ListShards", json.dumps({"StreamARN": arn}).encode())
    assert st == 200 and len(body["Shards"]) == 1
    st, _, body = call("DescribeStream", json.dumps({"StreamName": "zz"}).encode())
    assert st == 400 and body == {"__type": "ResourceNotFoundException",
                                  "message": "Stream zz under account 000000000000 not found."}
    # AT_TIMESTAMP with an integer and a fractional Timestamp on the wire.
    for ts in (int(time.time()) - 10, time.time() - 10.25):
        st, _, body = call("GetShardIterator", json.dumps({
            "StreamName": "ok", "ShardId": "shardId-000000000000",
            "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": ts}).encode())
        assert st == 200 and len(body["ShardIterator"]) <= 512


def test_tags_and_retention(kin):
    kin.create_stream(StreamName="tagged", ShardCount=1)
    kin.add_tags_to_stream(StreamName="tagged", Tags={"team": "video", "env": "dev"})
    tags = kin.list_tags_for_stream(StreamName="tagged")
    assert tags["Tags"] == [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "video"}]
    assert tags["HasMoreTags"] is False
    page = kin.list_tags_for_stream(StreamName="tagged", Limit=1)
    assert page["Tags"] == [{"Key": "env", "Value": "dev"}] and page["HasMoreTags"] is True
    kin.remove_tags_from_stream(StreamName="tagged", TagKeys=["env"])
    assert kin.list_tags_for_stream(StreamName="tagged")["Tags"] == [
        {"Key": "team", "Value": "video"}]
    kin.increase_stream_retention_period(StreamName="tagged", RetentionPeriodHours=48)
    d = kin.describe_stream_summary(StreamName="tagged")["StreamDescriptionSummary"]
    assert d["RetentionPeriodHours"] == 48
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        kin.increase_stream_retention_period(StreamName="tagged", RetentionPeriodHours=30)
    assert "can not be shorter" in error_of(ei)[1]
    kin.decrease_stream_retention_period(StreamName="tagged", RetentionPeriodHours=24)
    d = kin.describe_stream_summary(StreamName="tagged")["StreamDescriptionSummary"]
    assert d["RetentionPeriodHours"] == 24


def test_aws_cli(emu):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
               AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")

    def aws(*args):
        out = subprocess.run(["/usr/bin/aws", "kinesis", *args, "--endpoint-url", emu.endpoint,
                              "--output", "json"], env=env, capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else None

    aws("create-stream", "--stream-name", "cli", "--shard-count", "2")
    names = aws("list-streams")["StreamNames"]
    assert names == ["cli"]
    payload = base64.b64encode(b"from the cli").decode()
    put = aws("put-record", "--stream-name", "cli", "--partition-key", "p1",
              "--data", payload, "--cli-binary-format", "base64")
    it = aws("get-shard-iterator", "--stream-name", "cli", "--shard-id", put["ShardId"],
             "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
    recs = aws("get-records", "--shard-iterator", it)["Records"]
    assert [base64.b64decode(r["Data"]) for r in recs] == [b"from the cli"]
    assert recs[0]["SequenceNumber"] == put["SequenceNumber"]
    desc = aws("describe-stream", "--stream-name", "cli")["StreamDescription"]
    assert len(desc["Shards"]) == 2
    shards = aws("list-shards", "--stream-name", "cli")["Shards"]
    assert [s["ShardId"] for s in shards] == ["shardId-000000000000", "shardId-000000000001"]
    aws("delete-stream", "--stream-name", "cli")
    assert aws("list-streams")["StreamNames"] == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_restart_persistence(emu_factory, tmp_path, sig):
    db = str(tmp_path / "kin.db")
    e = emu_factory(db=db)
    k = e.client("kinesis")
    k.create_stream(StreamName="durable", ShardCount=2)
    k.add_tags_to_stream(StreamName="durable", Tags={"a": "b"})
    first = [k.put_record(StreamName="durable", Data=b"r%d" % i, PartitionKey="p%d" % i)
             for i in range(50)]
    k.split_shard(StreamName="durable", ShardToSplit="shardId-000000000000",
                  NewStartingHashKey=str(2**126))
    e.stop(sig)
    e.start()
    k = e.client("kinesis")
    assert k.list_tags_for_stream(StreamName="durable")["Tags"] == [{"Key": "a", "Value": "b"}]
    shards = k.describe_stream(StreamName="durable")["StreamDescription"]["Shards"]
    assert len(shards) == 4
    got = {}
    for s in shards:
        for x in read_all(k, "durable", s["ShardId"])[0]:
            got[x["SequenceNumber"]] = x["Data"]
    assert got == {r["SequenceNumber"]: b"r%d" % i for i, r in enumerate(first)}
    later = k.put_record(StreamName="durable", Data=b"later", PartitionKey="p1")
    same_shard = [int(r["SequenceNumber"]) for r in first if r["ShardId"] == later["ShardId"]]
    assert all(int(later["SequenceNumber"]) > s for s in same_shard)
    assert int(later["SequenceNumber"]) > max(int(r["SequenceNumber"]) for r in first)


def test_fault_injection(emu_factory):
    e = emu_factory(args=["--kinesis-error-rate", "1.0"])
    k = e.client("kinesis")
    k.create_stream(StreamName="flaky", ShardCount=1)
    r = k.put_records(StreamName="flaky", Records=[{"Data": b"x", "PartitionKey": "p"}] * 3)
    assert r["FailedRecordCount"] == 3
    assert all(x["ErrorCode"] == "ProvisionedThroughputExceededException" for x in r["Records"])
    assert "flaky" in r["Records"][0]["ErrorMessage"]
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        k.put_record(StreamName="flaky", Data=b"x", PartitionKey="p")
    assert error_of(ei)[0] == "ProvisionedThroughputExceededException"
    assert read_all(k, "flaky", "shardId-000000000000")[0] == []


def test_fault_injection_partial(emu_factory):
    e = emu_factory(args=["--kinesis-error-rate", "0.5"])
    k = e.client("kinesis")
    k.create_stream(StreamName="half", ShardCount=1)
    r = k.put_records(StreamName="half", Records=[{"Data": b"%d" % i, "PartitionKey": "p"}
                                                  for i in range(400)])
    failed = [i for i, x in enumerate(r["Records"]) if "ErrorCode" in x]
    assert r["FailedRecordCount"] == len(failed) and 100 < len(failed) < 300
    recs = read_all(k, "half", "shardId-000000000000")[0]
    assert [x["Data"] for x in recs] == [b"%d" % i for i in range(400) if i not in failed]


def test_realistic_delays(emu_factory):
    e = emu_factory(args=["--kinesis-delays"])
    k = e.client("kinesis")
    k.create_stream(StreamName="slow", ShardCount=1)
    assert k.describe_stream(StreamName="slow")["StreamDescription"]["StreamStatus"] == "CREATING"
    k.get_waiter("stream_exists").wait(StreamName="slow", WaiterConfig={"Delay": 0.2})
    assert k.describe_stream(StreamName="slow")["StreamDescription"]["StreamStatus"] == "ACTIVE"
    k.delete_stream(StreamName="slow")
    assert k.describe_stream(StreamName="slow")["StreamDescription"]["StreamStatus"] == "DELETING"
    k.get_waiter("stream_not_exists").wait(StreamName="slow", WaiterConfig={"Delay": 0.2})


def test_read_limits(emu_factory):
    e = emu_factory(args=["--kinesis-limits"])
    k = e.client("kinesis")
    k.create_stream(StreamName="lim", ShardCount=1)
    it = k.get_shard_iterator(StreamName="lim", ShardId="shardId-000000000000",
                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    def one(_):
        try:
            k.get_records(ShardIterator=it)
            return "ok"
        except botocore.exceptions.ClientError as ex:
            return ex.response["Error"]["Code"]

    # 5 reads per second per shard: 20 concurrent calls cannot all pass,
    # even on a slow machine.
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(one, range(20)))
    assert "ProvisionedThroughputExceededException" in codes and "ok" in codes
    assert set(codes) == {"ok", "ProvisionedThroughputExceededException"}
