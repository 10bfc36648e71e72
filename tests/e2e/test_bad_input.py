"""Bad input never crashes emu and never gets a 5xx: every DynamoDB and Kinesis
operation is sent a deterministic set of malformed requests (wrong JSON types
for every member, nulls, empty and deep structures, garbage bytes)."""
import json
import random
import urllib.error
import urllib.request

DDB_OPS = ["BatchGetItem", "BatchWriteItem", "CreateTable", "DeleteItem", "DeleteTable",
           "DescribeEndpoints", "DescribeLimits", "DescribeTable", "DescribeTimeToLive",
           "GetItem", "ListTables", "ListTagsOfResource", "PutItem", "Query", "Scan",
           "TagResource", "TransactGetItems", "TransactWriteItems", "UntagResource",
           "UpdateItem", "UpdateTable", "UpdateTimeToLive"]
DDB_MEMBERS = ["TableName", "Key", "Item", "KeySchema", "AttributeDefinitions", "RequestItems",
               "TransactItems", "ExpressionAttributeNames", "ExpressionAttributeValues",
               "ConditionExpression", "UpdateExpression", "KeyConditionExpression",
               "FilterExpression", "ProjectionExpression", "Limit", "ExclusiveStartKey",
               "Segment", "TotalSegments", "Select", "IndexName", "ReturnValues",
               "AttributeUpdates", "Expected", "KeyConditions", "ScanFilter",
               "GlobalSecondaryIndexUpdates", "TimeToLiveSpecification", "Tags", "ResourceArn"]
KIN_OPS = ["AddTagsToStream", "CreateStream", "DecreaseStreamRetentionPeriod", "DeleteStream",
           "DescribeStream", "DescribeStreamSummary", "GetRecords", "GetShardIterator",
           "IncreaseStreamRetentionPeriod", "ListShards", "ListStreams", "ListTagsForStream",
           "MergeShards", "PutRecord", "PutRecords", "RemoveTagsFromStream", "SplitShard",
           "UpdateShardCount", "UpdateStreamMode"]
KIN_MEMBERS = ["StreamName", "StreamARN", "ShardCount", "Data", "PartitionKey", "Records",
               "ShardId", "ShardIterator", "ShardIteratorType", "StartingSequenceNumber",
               "Timestamp", "Limit", "ExplicitHashKey", "Tags", "TagKeys", "NextToken",
               "ShardToSplit", "NewStartingHashKey", "ShardToMerge", "AdjacentShardToMerge",
               "TargetShardCount", "ScalingType", "RetentionPeriodHours", "StreamModeDetails",
               "ShardFilter", "ExclusiveStartShardId"]

WEIRD = [None, True, 0, -1, 1.5, 10 ** 40, "", "x" * 300, "\u0000\ud7ff", [], [None], {},
         {"S": None}, {"N": "1e999"}, {"": {}}, [[[[[]]]]], {"a": {"b": {"c": {"d": []}}}},
         {"S": "x", "N": "1"}, {"L": [{"M": {"x": {"SS": []}}}]}, {"B": "!!!"}]


def post(emu, target, body, ctype):
    req = urllib.request.Request(emu.endpoint + "/", data=body, method="POST", headers={
        "X-Amz-Target": target, "Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def bodies(members, rng):
    yield b""
    yield b"null"
    yield b"[]"
    yield b"{\"unterminated"
    yield b"\xff\xfe garbage"
    yield json.dumps({"x": [1] * 10}).encode()
    for m in members:
        for w in WEIRD:
            yield json.dumps({m: w}).encode()
    for _ in range(60):
        doc = {m: rng.choice(WEIRD) for m in rng.sample(members, 4)}
        yield json.dumps(doc).encode()


def check_service(emu, prefix, ops, members, ctype):
    rng = random.Random(1234)
    count = 0
    for op in ops:
        for body in bodies(members, rng):
            status, payload = post(emu, prefix + op, body, ctype)
            assert status < 500, (op, body[:200], status, payload[:300])
            if status != 200:
                err = json.loads(payload)
                assert err["__type"], (op, body[:200])
            count += 1
    return count


def test_dynamodb_bad_input_never_5xx(emu, ddb):
    # A real table, so that requests get past the table look-up too.
    ddb.create_table(TableName="faces", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    n = check_service(emu, "DynamoDB_20120810.", DDB_OPS,
                      DDB_MEMBERS, "application/x-amz-json-1.0")
    assert n > 10000
    assert ddb.describe_table(TableName="faces")["Table"]["TableStatus"] == "ACTIVE"


def test_kinesis_bad_input_never_5xx(emu):
    kin = emu.client("kinesis")
    kin.create_stream(StreamName="faces", ShardCount=1)
    n = check_service(emu, "Kinesis_20131202.", KIN_OPS, KIN_MEMBERS,
                      "application/x-amz-json-1.1")
    assert n > 10000
    assert kin.describe_stream_summary(StreamName="faces")["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE"
