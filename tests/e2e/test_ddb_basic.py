"""DynamoDB tables and single-item actions through boto3, raw HTTP and the AWS CLI."""
import binascii
import json
import re
import subprocess
import urllib.request
from decimal import Decimal

import botocore.exceptions
import pytest
from conftest import error_of


def make_table(ddb, name="faces", range_key=None, **extra):
    keys = [{"AttributeName": "id", "KeyType": "HASH"}]
    defs = [{"AttributeName": "id", "AttributeType": "S"}]
    if range_key:
        keys.append({"AttributeName": range_key, "KeyType": "RANGE"})
        defs.append({"AttributeName": range_key, "AttributeType": "N"})
    return ddb.create_table(TableName=name, KeySchema=keys, AttributeDefinitions=defs,
                            BillingMode="PAY_PER_REQUEST", **extra)


def raw(emu, target, body, prefix="DynamoDB_20120810"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(emu.endpoint + "/", data=data, method="POST", headers={
        "X-Amz-Target": prefix + "." + target,
        "Content-Type": "application/x-amz-json-1.0"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_create_describe_list_delete(ddb):
    d = make_table(ddb)["TableDescription"]
    assert d["TableStatus"] == "ACTIVE"
    assert d["TableArn"].endswith(":table/faces")
    assert d["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ddb.get_waiter("table_exists").wait(TableName="faces", WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    t = ddb.describe_table(TableName="faces")["Table"]
    assert t["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert t["ItemCount"] == 0
    assert isinstance(t["CreationDateTime"].year, int)
    assert ddb.list_tables()["TableNames"] == ["faces"]
    ddb.delete_table(TableName="faces")
    assert ddb.list_tables()["TableNames"] == []
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        ddb.describe_table(TableName="faces")
    assert error_of(ei) == ("ResourceNotFoundException", "Requested resource not found")


def test_create_duplicate_and_list_pagination(ddb):
    for n in ["t-c", "t-a", "t-b"]:
        make_table(ddb, n)
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        make_table(ddb, "t-a")
    assert error_of(ei) == ("ResourceInUseException", "Table already exists: t-a")
    page = ddb.list_tables(Limit=2)
    assert page["TableNames"] == ["t-a", "t-b"]
    assert page["LastEvaluatedTableName"] == "t-b"
    page = ddb.list_tables(Limit=2, ExclusiveStartTableName="t-b")
    assert page["TableNames"] == ["t-c"] and "LastEvaluatedTableName" not in page
    names = [n for p in ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 1})
             for n in p["TableNames"]]
    assert names == ["t-a", "t-b", "t-c"]


def test_put_get_numbers_normalised(ddb):
    make_table(ddb)
    ddb.put_item(TableName="faces", Item={"id": {"S": "a"}, "n": {"N": "1E+2"},
                                         "f": {"N": "0.10"}, "s": {"S": "Zoë"}})
    item = ddb.get_item(TableName="faces", Key={"id": {"S": "a"}})["Item"]
    assert item == {"id": {"S": "a"}, "n": {"N": "100"}, "f": {"N": "0.1"}, "s": {"S": "Zoë"}}
    assert ddb.get_item(TableName="faces", Key={"id": {"S": "zz"}}).get("Item") is None
    t = ddb.describe_table(TableName="faces")["Table"]
    assert t["ItemCount"] == 1 and t["TableSizeBytes"] > 0


def test_conditional_put_and_return_values(ddb):
    make_table(ddb)
    ddb.put_item(TableName="faces", Item={"id": {"S": "a"}, "v": {"N": "1"}},
                 ConditionExpression="attribute_not_exists(id)")
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        ddb.put_item(TableName="faces", Item={"id": {"S": "a"}, "v": {"N": "2"}},
                     ConditionExpression="attribute_not_exists(id)")
    assert error_of(ei) == ("ConditionalCheckFailedException", "The conditional request failed")
    r = ddb.put_item(TableName="faces", Item={"id": {"S": "a"}, "v": {"N": "3"}},
                     ReturnValues="ALL_OLD")
    assert r["Attributes"] == {"id": {"S": "a"}, "v": {"N": "1"}}
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        ddb.put_item(TableName="faces", Item={"id": {"S": "a"}}, ReturnValues="ALL_NEW")
    assert error_of(ei) == ("ValidationException", "ReturnValues can only be ALL_OLD or NONE")


def test_update_item_expressions(ddb):
    make_table(ddb)
    r = ddb.update_item(TableName="faces", Key={"id": {"S": "p"}},
                        UpdateExpression="SET #c = if_not_exists(#c, :zero) + :one, tags = :t",
                        ExpressionAttributeNames={"#c": "count"},
                        ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"},
                                                   ":t": {"SS": ["x"]}},
                        ReturnValues="ALL_NEW")
    assert r["Attributes"] == {"id": {"S": "p"}, "count": {"N": "1"}, "tags": {"SS": ["x"]}}
    r = ddb.update_item(TableName="faces", Key={"id": {"S": "p"}},
                        UpdateExpression="ADD #c :big", ExpressionAttributeNames={"#c": "count"},
                        ExpressionAttributeValues={":big": {"N": "99999999999999999999999999999999999998"}},
                        ReturnValues="UPDATED_NEW")
    assert r["Attributes"] == {"count": {"N": "99999999999999999999999999999999999999"}}
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        ddb.update_item(TableName="faces", Key={"id": {"S": "p"}}, UpdateExpression="SET id = :v",
                        ExpressionAttributeValues={":v": {"S": "q"}})
    assert error_of(ei) == ("ValidationException",
                            "One or more parameter values were invalid: Cannot update attribute id. "
                            "This attribute is part of the key")
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        ddb.update_item(TableName="faces", Key={"id": {"S": "p"}}, UpdateExpression="SET a = :v",
                        ExpressionAttributeValues={":v": {"S": "q"}, ":unused": {"S": "z"}})
    assert error_of(ei) == ("ValidationException",
                            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}")


def test_conditional_put_that_holds_for_a_missing_item(emu, ddb):
    """A condition true for a missing item (the handler's
    attribute_not_exists(id)) may insert first; a taken key must still be
    judged by the condition on the stored item, with the same answers."""
    make_table(ddb, "seen")
    first = {"id": {"S": "p1"}, "v": {"N": "5"}}
    new_only = dict(TableName="seen", ConditionExpression="attribute_not_exists(id)")
    r = ddb.put_item(Item=first, ReturnValues="ALL_OLD", **new_only)
    assert "Attributes" not in r
    # Debian's botocore predates ReturnValuesOnConditionCheckFailure: send it raw.
    status, _, body = raw(emu, "PutItem", dict(
        new_only, Item={"id": {"S": "p1"}, "v": {"N": "6"}},
        ReturnValuesOnConditionCheckFailure="ALL_OLD"))
    assert status == 400
    assert json.loads(body) == {
        "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
        "message": "The conditional request failed", "Item": first}
    # True for a missing item, and for this stored one (v = 5 < 10): replaced.
    either = dict(TableName="seen", ConditionExpression="attribute_not_exists(id) OR v < :ten",
                  ExpressionAttributeValues={":ten": {"N": "10"}})
    r = ddb.put_item(Item={"id": {"S": "p1"}, "v": {"N": "50"}}, ReturnValues="ALL_OLD", **either)
    assert r["Attributes"] == first
    # ... and now false for it (v = 50): nothing changes.
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        ddb.put_item(Item={"id": {"S": "p1"}, "v": {"N": "7"}}, **either)
    assert error_of(ei)[0] == "ConditionalCheckFailedException"
    assert ddb.get_item(TableName="seen", Key={"id": {"S": "p1"}})["Item"] == {
        "id": {"S": "p1"}, "v": {"N": "50"}}
    ddb.put_item(Item={"id": {"S": "p2"}}, **new_only)
    t = ddb.describe_table(TableName="seen")["Table"]
    scanned = ddb.scan(TableName="seen")["Items"]
    assert t["ItemCount"] == 2 == len(scanned)
    make_table(ddb, "ref")   # the same final items, put plainly
    for item in scanned:
        ddb.put_item(TableName="ref", Item=item)
    assert t["TableSizeBytes"] == ddb.describe_table(TableName="ref")["Table"]["TableSizeBytes"]


def test_write_capacity_is_the_larger_of_old_and_new(ddb):
    """Writes consume by the larger of the item before and after them (in
    1 KB units): a new 2.5 KB item costs 3 units, as does shrinking one."""
    make_table(ddb, "cap")
    big = {"id": {"S": "a"}, "blob": {"S": "x" * 2500}}
    small = {"id": {"S": "a"}, "v": {"N": "1"}}

    def units(r):
        c = r["ConsumedCapacity"]
        return (c[0] if isinstance(c, list) else c)["CapacityUnits"]

    assert units(ddb.put_item(TableName="cap", Item=big, ReturnConsumedCapacity="TOTAL")) == 3.0
    assert units(ddb.put_item(TableName="cap", Item=small, ReturnConsumedCapacity="TOTAL")) == 3.0
    assert units(ddb.put_item(TableName="cap", Item=small, ReturnConsumedCapacity="TOTAL")) == 1.0
    grow = dict(TableName="cap", Key={"id": {"S": "a"}}, UpdateExpression="SET pic = :b",
                ExpressionAttributeValues={":b": {"S": "y" * 2500}}, ReturnConsumedCapacity="TOTAL")
    assert units(ddb.update_item(**grow)) == 3.0
    assert units(ddb.update_item(TableName="cap", Key={"id": {"S": "a"}},
                                 UpdateExpression="REMOVE pic",
                                 ReturnConsumedCapacity="TOTAL")) == 3.0
    assert units(ddb.batch_write_item(RequestItems={"cap": [
        {"PutRequest": {"Item": dict(big, id={"S": "b"})}}]}, ReturnConsumedCapacity="TOTAL")) == 3.0
    assert units(ddb.batch_write_item(RequestItems={"cap": [
        {"PutRequest": {"Item": dict(small, id={"S": "b"})}}]}, ReturnConsumedCapacity="TOTAL")) == 3.0
    ddb.put_item(TableName="cap", Item=dict(big, id={"S": "c"}))
    assert units(ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "cap", "Item": dict(small, id={"S": "c"})}}],
        ReturnConsumedCapacity="TOTAL")) == 6.0
    assert units(ddb.delete_item(TableName="cap", Key={"id": {"S": "a"}},
                                 ReturnConsumedCapacity="TOTAL")) == 1.0


def test_overwrites_in_place_keep_rows_counts_and_capacity(ddb):
    """A write over a stored item rewrites its row in place and may not
    parse it: the item, its index rows, the table's counts and the
    consumed capacity (from the old item's stored size) must all be as if
    the table held only the final items."""
    ddb.create_table(
        TableName="with_ix", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                              {"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": [
            {"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}],
        BillingMode="PAY_PER_REQUEST")
    make_table(ddb, "plain")
    make_table(ddb, "clean")
    big = {"id": {"S": "a"}, "blob": {"S": "x" * 2500}}
    ddb.put_item(TableName="plain", Item=big)
    small = {"id": {"S": "a"}, "v": {"N": "1"}}
    r = ddb.put_item(TableName="plain", Item=small, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 3.0  # the larger of old and new
    # The new item is built on the old one, copied only when the answer needs both.
    answers = [ddb.update_item(TableName="plain", Key={"id": {"S": "a"}},
                               UpdateExpression="ADD v :one", ReturnValues=rv,
                               ExpressionAttributeValues={":one": {"N": "1"}}).get("Attributes")
               for rv in ("ALL_OLD", "UPDATED_OLD", "ALL_NEW")]
    assert answers == [{"id": {"S": "a"}, "v": {"N": "1"}}, {"v": {"N": "2"}},
                       {"id": {"S": "a"}, "v": {"N": "4"}}]
    assert ddb.get_item(TableName="plain", Key={"id": {"S": "a"}})["Item"] == {
        "id": {"S": "a"}, "v": {"N": "4"}}
    # BatchWriteItem over a stored key and a missing one, then a delete.
    r = ddb.batch_write_item(RequestItems={"plain": [
        {"PutRequest": {"Item": {"id": {"S": "a"}, "v": {"N": "4"}}}},
        {"PutRequest": {"Item": {"id": {"S": "b"}}}}]}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"][0]["CapacityUnits"] == 2.0
    ddb.batch_write_item(RequestItems={"plain": [{"DeleteRequest": {"Key": {"id": {"S": "b"}}}},
                                                 {"DeleteRequest": {"Key": {"id": {"S": "c"}}}}]})
    ddb.put_item(TableName="clean", Item={"id": {"S": "a"}, "v": {"N": "4"}})
    counts = [(t["ItemCount"], t["TableSizeBytes"]) for t in
              (ddb.describe_table(TableName=n)["Table"] for n in ("plain", "clean"))]
    assert counts[0] == counts[1] and counts[0][0] == 1

    ddb.put_item(TableName="with_ix", Item={"id": {"S": "a"}, "g": {"S": "one"}})
    ddb.put_item(TableName="with_ix", Item={"id": {"S": "a"}, "g": {"S": "two"}})
    ddb.update_item(TableName="with_ix", Key={"id": {"S": "a"}}, UpdateExpression="SET g = :g",
                    ExpressionAttributeValues={":g": {"S": "three"}})

    def by_g(g):
        return ddb.query(TableName="with_ix", IndexName="by_g", KeyConditionExpression="g = :g",
                         ExpressionAttributeValues={":g": {"S": g}})["Items"]
    assert by_g("one") == [] and by_g("two") == []
    assert by_g("three") == [{"id": {"S": "a"}, "g": {"S": "three"}}]
    assert ddb.describe_table(TableName="with_ix")["Table"]["ItemCount"] == 1


def test_delete_item_condition(emu, ddb):
    make_table(ddb)
    ddb.put_item(TableName="faces", Item={"id": {"S": "a"}, "n": {"N": "5"}})
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        ddb.delete_item(TableName="faces", Key={"id": {"S": "a"}}, ConditionExpression="n > :v",
                        ExpressionAttributeValues={":v": {"N": "10"}})
    assert error_of(ei) == ("ConditionalCheckFailedException", "The conditional request failed")
    # Debian's botocore predates ReturnValuesOnConditionCheckFailure: send it raw.
    status, _, body = raw(emu, "DeleteItem", {
        "TableName": "faces", "Key": {"id": {"S": "a"}}, "ConditionExpression": "n > :v",
        "ExpressionAttributeValues": {":v": {"N": "10"}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
    assert status == 400
    assert json.loads(body) == {
        "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
        "message": "The conditional request failed",
        "Item": {"id": {"S": "a"}, "n": {"N": "5"}}}
    r = ddb.delete_item(TableName="faces", Key={"id": {"S": "a"}}, ReturnValues="ALL_OLD")
    assert r["Attributes"]["n"] == {"N": "5"}
    assert ddb.describe_table(TableName="faces")["Table"]["ItemCount"] == 0


def test_key_validation_errors(ddb):
    make_table(ddb, range_key="ts")
    cases = [
        ({"id": {"S": "a"}}, "One or more parameter values were invalid: Missing the key ts in the item"),
        ({"id": {"N": "1"}, "ts": {"N": "1"}},
         "One or more parameter values were invalid: Type mismatch for key id expected: S actual: N"),
        ({"id": {"S": ""}, "ts": {"N": "1"}},
         "One or more parameter values are not valid. The AttributeValue for a key attribute "
         "cannot contain an empty string value. Key: id"),
    ]
    for item, msg in cases:
        with pytest.raises(botocore.exceptions.ClientError) as ei:
            ddb.put_item(TableName="faces", Item=item)
        assert error_of(ei) == ("ValidationException", msg)
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        ddb.get_item(TableName="faces", Key={"id": {"S": "a"}})
    assert error_of(ei) == ("ValidationException", "The provided key element does not match the schema")


def test_item_too_large(ddb):
    make_table(ddb)
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        ddb.put_item(TableName="faces", Item={"id": {"S": "a"}, "big": {"S": "x" * (400 * 1024)}})
    assert error_of(ei) == ("ValidationException", "Item size has exceeded the maximum allowed size")


def test_protocol_headers_crc32_and_errors(emu):
    status, headers, body = raw(emu, "ListTables", {})
    assert status == 200
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    assert int(headers["x-amz-crc32"]) == binascii.crc32(body)
    uuid4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    first = headers["x-amzn-RequestId"]
    assert uuid4.match(first), first
    status, headers, body = raw(emu, "NoSuchOp", {})
    assert uuid4.match(headers["x-amzn-RequestId"]) and headers["x-amzn-RequestId"] != first
    assert status == 400
    assert json.loads(body)["__type"] == "com.amazon.coral.service#UnknownOperationException"
    assert int(headers["x-amz-crc32"]) == binascii.crc32(body)
    status, _, body = raw(emu, "ListTables", b"{not json")
    assert status == 400
    assert json.loads(body)["__type"] == "com.amazon.coral.service#SerializationException"
    status, _, body = raw(emu, "DescribeTable", {"TableName": "nope"})
    assert (status, json.loads(body)) == (400, {
        "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
        "message": "Requested resource not found"})
    status, _, body = raw(emu, "CreateTable", {"TableName": "x"})
    assert status == 400
    assert json.loads(body)["__type"] == "com.amazon.coral.validate#ValidationException"


def test_raw_utf8_and_escaped_unicode_are_the_same(emu, ddb):
    make_table(ddb)
    # boto3 sends \\u escapes with surrogate pairs; the JS SDK sends raw UTF-8.
    raw(emu, "PutItem", b'{"TableName":"faces","Item":{"id":{"S":"\\ud83d\\ude00"}}}')
    status, _, body = raw(emu, "GetItem", '{"TableName":"faces","Key":{"id":{"S":"\U0001F600"}}}'.encode())
    assert status == 200
    assert json.loads(body)["Item"]["id"]["S"] == "\U0001F600"


def test_resource_api_and_decimal(emu):
    res = emu.resource("dynamodb")
    table = res.create_table(TableName="faces", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                             ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    table.wait_until_exists()
    table.put_item(Item={"id": "f1", "Similarity": Decimal("97.84118"), "tags": {"a", "b"}})
    item = table.get_item(Key={"id": "f1"})["Item"]
    assert item["Similarity"] == Decimal("97.84118")
    assert item["tags"] == {"a", "b"}
    assert table.item_count == 1


def test_aws_cli(emu):
    env_cmd = ["/usr/bin/aws", "--endpoint-url", emu.endpoint, "--region", "us-east-1",
               "--output", "json", "dynamodb"]
    subprocess.run(env_cmd + ["create-table", "--table-name", "cli", "--attribute-definitions",
                              "AttributeName=id,AttributeType=S", "--key-schema",
                              "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST"],
                   check=True, capture_output=True)
    subprocess.run(env_cmd + ["put-item", "--table-name", "cli", "--item",
                              '{"id": {"S": "k"}, "v": {"N": "7"}}'], check=True, capture_output=True)
    out = subprocess.run(env_cmd + ["get-item", "--table-name", "cli", "--key", '{"id": {"S": "k"}}'],
                         check=True, capture_output=True, text=True).stdout
    assert json.loads(out)["Item"] == {"id": {"S": "k"}, "v": {"N": "7"}}
    r = subprocess.run(env_cmd + ["describe-table", "--table-name", "missing"], capture_output=True, text=True)
    assert r.returncode != 0 and "ResourceNotFoundException" in r.stderr


def test_data_survives_restart_and_kill9(emu_factory, tmp_path):
    import signal as sig
    db = str(tmp_path / "emu.db")
    e = emu_factory(db=db)
    ddb = e.client("dynamodb")
    make_table(ddb)
    for i in range(50):
        ddb.put_item(TableName="faces", Item={"id": {"S": "k%d" % i}})
    e.stop(sig.SIGKILL)
    e.start()
    ddb = e.client("dynamodb")
    assert ddb.describe_table(TableName="faces")["Table"]["ItemCount"] == 50
    assert ddb.get_item(TableName="faces", Key={"id": {"S": "k49"}})["Item"] == {"id": {"S": "k49"}}


def test_reads_on_disk_see_every_later_write(emu_factory, tmp_path):
    # Regression: a read that stopped mid-iteration used to pin its
    # connection's WAL snapshot, hiding every later write from that thread.
    e = emu_factory(db=str(tmp_path / "emu.db"))
    ddb = e.client("dynamodb")
    make_table(ddb)
    for i in range(5):
        ddb.put_item(TableName="faces", Item={"id": {"S": "k%d" % i}})
        assert ddb.get_item(TableName="faces", Key={"id": {"S": "k%d" % i}})["Item"]["id"]["S"] == "k%d" % i
        assert ddb.scan(TableName="faces")["Count"] == i + 1
        assert ddb.describe_table(TableName="faces")["Table"]["ItemCount"] == i + 1


def test_sync_full_mode_and_bad_option(emu_factory, tmp_path):
    import subprocess
    from conftest import EMU_BIN
    e = emu_factory(args=["--sync", "full"], db=str(tmp_path / "full.db"))
    ddb = e.client("dynamodb")
    make_table(ddb)
    ddb.put_item(TableName="faces", Item={"id": {"S": "a"}})
    assert ddb.get_item(TableName="faces", Key={"id": {"S": "a"}})["Item"] == {"id": {"S": "a"}}
    r = subprocess.run([EMU_BIN, "--sync", "sometimes"], capture_output=True, text=True)
    assert r.returncode == 2 and "--sync must be normal or full" in r.stderr
    r = subprocess.run([EMU_BIN, "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("emu ")


def test_schema_changes_seen_by_every_connection(emu_factory, tmp_path):
    # Table descriptions are cached per connection; a committed DeleteTable/
    # CreateTable must be visible to every other connection at once.
    e = emu_factory(db=str(tmp_path / "emu.db"))
    a, b = e.client("dynamodb"), e.client("dynamodb")
    make_table(a)
    b.put_item(TableName="faces", Item={"id": {"S": "x"}})
    assert b.describe_table(TableName="faces")["Table"]["ItemCount"] == 1
    a.delete_table(TableName="faces")
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        b.get_item(TableName="faces", Key={"id": {"S": "x"}})
    assert error_of(ei)[0] == "ResourceNotFoundException"
    a.create_table(TableName="faces", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "N"}],
                   BillingMode="PAY_PER_REQUEST")
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        b.put_item(TableName="faces", Item={"id": {"S": "x"}})
    assert error_of(ei) == ("ValidationException",
                            "One or more parameter values were invalid: Missing the key pk in the item")
    b.put_item(TableName="faces", Item={"pk": {"N": "1"}})
    assert b.scan(TableName="faces")["Items"] == [{"pk": {"N": "1"}}]
    assert b.describe_table(TableName="faces")["Table"]["ItemCount"] == 1


def test_get_item_answer_shapes(ddb):
    # GetItem splices the stored item into the answer unless it projects.
    make_table(ddb)
    item = {"id": {"S": "a"}, "n": {"N": "1.5"}, "m": {"M": {"x": {"L": [{"S": "é"}]}}}}
    ddb.put_item(TableName="faces", Item=item)
    r = ddb.get_item(TableName="faces", Key={"id": {"S": "a"}}, ReturnConsumedCapacity="TOTAL")
    assert r["Item"] == item
    assert (r["ConsumedCapacity"]["TableName"], r["ConsumedCapacity"]["CapacityUnits"]) == ("faces", 0.5)
    r = ddb.get_item(TableName="faces", Key={"id": {"S": "a"}}, ConsistentRead=True,
                     ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 1.0
    r = ddb.get_item(TableName="faces", Key={"id": {"S": "a"}}, ProjectionExpression="m.x[0]")
    assert r["Item"] == {"m": {"M": {"x": {"L": [{"S": "é"}]}}}}
    r = ddb.get_item(TableName="faces", Key={"id": {"S": "none"}}, ReturnConsumedCapacity="TOTAL")
    assert "Item" not in r and r["ConsumedCapacity"]["CapacityUnits"] == 0.5
