"""BatchGetItem, BatchWriteItem, TransactWriteItems and TransactGetItems through boto3."""
import botocore.exceptions
import pytest
from conftest import error_of, fails


@pytest.fixture
def tables(ddb):
    for name in ("users", "orders"):
        ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
    return ddb


def key(i):
    return {"id": {"S": str(i)}}


def test_batch_write_then_get(tables):
    ddb = tables
    r = ddb.batch_write_item(RequestItems={
        "users": [{"PutRequest": {"Item": {"id": {"S": str(i)}, "v": {"N": str(i)}}}}
                  for i in range(20)],
        "orders": [{"PutRequest": {"Item": {"id": {"S": "o1"}, "u": {"S": "1"}}}}]})
    assert r["UnprocessedItems"] == {}
    assert ddb.describe_table(TableName="users")["Table"]["ItemCount"] == 20
    r = ddb.batch_get_item(RequestItems={
        "users": {"Keys": [key(1), key(5), key(99)], "ProjectionExpression": "v"},
        "orders": {"Keys": [{"id": {"S": "o1"}}], "ConsistentRead": True}})
    assert sorted(i["v"]["N"] for i in r["Responses"]["users"]) == ["1", "5"]
    assert all(set(i) == {"v"} for i in r["Responses"]["users"])
    assert r["Responses"]["orders"] == [{"id": {"S": "o1"}, "u": {"S": "1"}}]
    assert r["UnprocessedKeys"] == {}
    r = ddb.batch_write_item(RequestItems={"users": [{"DeleteRequest": {"Key": key(i)}}
                                                     for i in range(10)]},
                             ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == [{"TableName": "users", "CapacityUnits": 10.0,
                                      "WriteCapacityUnits": 10.0}]
    assert ddb.describe_table(TableName="users")["Table"]["ItemCount"] == 10


def test_batch_resource_writer(emu, tables):
    t = emu.resource("dynamodb").Table("users")
    with t.batch_writer() as w:
        for i in range(60):
            w.put_item(Item={"id": str(i), "n": i})
    assert t.scan(Select="COUNT")["Count"] == 60
    r = emu.resource("dynamodb").batch_get_item(
        RequestItems={"users": {"Keys": [{"id": str(i)} for i in range(100)]}})
    assert len(r["Responses"]["users"]) == 60


def test_batch_get_duplicate_keys_by_value(ddb):
    """Duplicates are the same item, however written: numbers in another
    form, attributes in another order, far apart in a list of 100."""
    ddb.create_table(TableName="readings",
                     KeySchema=[{"AttributeName": "sensor", "KeyType": "HASH"},
                                {"AttributeName": "at", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "sensor", "AttributeType": "S"},
                                           {"AttributeName": "at", "AttributeType": "N"}],
                     BillingMode="PAY_PER_REQUEST")
    dup = ("ValidationException", "Provided list of item keys contains duplicates")

    def k(sensor, at):
        return {"sensor": {"S": sensor}, "at": {"N": at}}

    assert fails(ddb.batch_get_item, RequestItems={"readings": {"Keys": [
        k("s1", "1"), k("s1", "1.0")]}}) == dup
    assert fails(ddb.batch_get_item, RequestItems={"readings": {"Keys": [
        k("s1", "100"), k("s2", "5"), k("s1", "1E2")]}}) == dup
    assert fails(ddb.batch_get_item, RequestItems={"readings": {"Keys": [
        {"sensor": {"S": "s1"}, "at": {"N": "7"}}, {"at": {"N": "7"}, "sensor": {"S": "s1"}}]}}) == dup
    keys = [k("s%d" % i, str(i)) for i in range(99)]
    assert fails(ddb.batch_get_item, RequestItems={"readings": {"Keys": keys + [
        k("s0", "0.00")]}}) == dup
    # Near misses are not duplicates: same text in another attribute or type.
    r = ddb.batch_get_item(RequestItems={"readings": {"Keys": keys + [k("s0", "1")]}})
    assert r["Responses"]["readings"] == []
    assert r["UnprocessedKeys"] == {}


def test_batch_errors(emu, tables):
    ddb = tables
    assert fails(ddb.batch_write_item, RequestItems={"users": [
        {"PutRequest": {"Item": key(1)}}, {"DeleteRequest": {"Key": key(1)}}]}) == (
        "ValidationException", "Provided list of item keys contains duplicates")
    assert ddb.scan(TableName="users")["Count"] == 0  # nothing of the batch applied
    assert fails(ddb.batch_get_item, RequestItems={"users": {"Keys": [key(1), key(1)]}}) == (
        "ValidationException", "Provided list of item keys contains duplicates")
    raw = emu.client("dynamodb", parameter_validation=False)
    assert fails(raw.batch_write_item, RequestItems={"users": [
        {"PutRequest": {"Item": key(i)}} for i in range(26)]}) == (
        "ValidationException", "Too many items requested for the BatchWriteItem call")
    assert fails(raw.batch_get_item, RequestItems={
        "users": {"Keys": [key(i) for i in range(60)]},
        "orders": {"Keys": [key(i) for i in range(41)]}}) == (
        "ValidationException", "Too many items requested for the BatchGetItem call")
    assert fails(ddb.batch_write_item, RequestItems={"users": [
        {"PutRequest": {"Item": {"nope": {"S": "x"}}}}]}) == (
        "ValidationException", "The provided key element does not match the schema")
    assert fails(ddb.batch_get_item, RequestItems={"missing": {"Keys": [key(1)]}}) == (
        "ResourceNotFoundException", "Requested resource not found")
    # a failing table rolls back the writes to the other one
    assert fails(ddb.batch_write_item, RequestItems={
        "users": [{"PutRequest": {"Item": key(1)}}],
        "missing": [{"PutRequest": {"Item": key(1)}}]})[0] == "ResourceNotFoundException"
    assert ddb.scan(TableName="users")["Count"] == 0


def put(table, item, **kw):
    return {"Put": {"TableName": table, "Item": item, **kw}}


def test_transact_write_all_or_nothing(tables):
    ddb = tables
    ddb.put_item(TableName="users", Item={"id": {"S": "u"}, "credit": {"N": "10"}})
    ddb.put_item(TableName="users", Item={"id": {"S": "w"}})
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": "users", "Key": {"id": {"S": "u"}},
                    "UpdateExpression": "SET credit = credit - :c",
                    "ConditionExpression": "credit >= :c",
                    "ExpressionAttributeValues": {":c": {"N": "4"}}}},
        put("orders", {"id": {"S": "o1"}}, ConditionExpression="attribute_not_exists(id)"),
        {"ConditionCheck": {"TableName": "users", "Key": {"id": {"S": "w"}},
                            "ConditionExpression": "attribute_exists(id)"}}])
    assert ddb.get_item(TableName="users", Key={"id": {"S": "u"}})["Item"]["credit"] == {"N": "6"}
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        ddb.transact_write_items(TransactItems=[
            put("orders", {"id": {"S": "o2"}}),
            put("orders", {"id": {"S": "o1"}, "x": {"S": "y"}},
                ConditionExpression="attribute_not_exists(id)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD"),
            {"Delete": {"TableName": "users", "Key": {"id": {"S": "u"}},
                        "ConditionExpression": "credit > :c",
                        "ExpressionAttributeValues": {":c": {"N": "100"}}}}])
    resp = ei.value.response
    assert resp["Error"]["Code"] == "TransactionCanceledException"
    assert resp["Error"]["Message"] == (
        "Transaction cancelled, please refer cancellation reasons for specific reasons "
        "[None, ConditionalCheckFailed, ConditionalCheckFailed]")
    reasons = resp["CancellationReasons"]
    assert reasons[0] == {"Code": "None"}
    assert reasons[1] == {"Code": "ConditionalCheckFailed",
                          "Message": "The conditional request failed",
                          "Item": {"id": {"S": "o1"}}}
    assert reasons[2] == {"Code": "ConditionalCheckFailed",
                          "Message": "The conditional request failed"}
    # o2 was rolled back
    assert "Item" not in ddb.get_item(TableName="orders", Key={"id": {"S": "o2"}})


def test_transact_write_errors(emu, tables):
    ddb = tables
    assert fails(ddb.transact_write_items, TransactItems=[
        put("users", key(1)), {"Delete": {"TableName": "users", "Key": key(1)}}]) == (
        "ValidationException", "Transaction request cannot include multiple operations on one item")
    assert fails(ddb.transact_write_items, TransactItems=[put("missing", key(1))]) == (
        "ResourceNotFoundException", "Requested resource not found")
    assert fails(ddb.transact_write_items, TransactItems=[
        {"Delete": {"TableName": "users", "Key": {"nope": {"S": "1"}}}}]) == (
        "ValidationException", "The provided key element does not match the schema")
    raw = emu.client("dynamodb", parameter_validation=False)
    assert fails(raw.transact_write_items, TransactItems=[])[0] == "ValidationException"
    assert fails(raw.transact_write_items, TransactItems=[put("users", key(i)) for i in range(101)]
                 )[0] == "ValidationException"
    many = [put("users", key(i)) for i in range(100)]
    ddb.transact_write_items(TransactItems=many)
    assert ddb.scan(TableName="users", Select="COUNT")["Count"] == 100


def test_transact_update_error_is_a_cancellation_reason(tables):
    ddb = tables
    ddb.put_item(TableName="users", Item={"id": {"S": "u"}, "s": {"S": "text"}})
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        ddb.transact_write_items(TransactItems=[
            {"Update": {"TableName": "users", "Key": {"id": {"S": "u"}},
                        "UpdateExpression": "ADD s :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
    resp = ei.value.response
    assert resp["Error"]["Code"] == "TransactionCanceledException"
    assert resp["CancellationReasons"][0]["Code"] == "ValidationError"


def test_client_request_token_idempotency(tables):
    ddb = tables
    ddb.put_item(TableName="users", Item={"id": {"S": "u"}, "n": {"N": "0"}})
    inc = [{"Update": {"TableName": "users", "Key": {"id": {"S": "u"}},
                       "UpdateExpression": "ADD n :one",
                       "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
    ddb.transact_write_items(TransactItems=inc, ClientRequestToken="tok-1")
    ddb.transact_write_items(TransactItems=inc, ClientRequestToken="tok-1")
    assert ddb.get_item(TableName="users", Key={"id": {"S": "u"}})["Item"]["n"] == {"N": "1"}
    ddb.transact_write_items(TransactItems=inc, ClientRequestToken="tok-2")
    assert ddb.get_item(TableName="users", Key={"id": {"S": "u"}})["Item"]["n"] == {"N": "2"}
    other = [put("users", key("z"))]
    assert fails(ddb.transact_write_items, TransactItems=other, ClientRequestToken="tok-1")[0] == \
        "IdempotentParameterMismatchException"


def test_transact_get(emu, tables):
    ddb = tables
    ddb.put_item(TableName="users", Item={"id": {"S": "a"}, "x": {"S": "1"}, "y": {"S": "2"}})
    r = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": "users", "Key": {"id": {"S": "a"}}, "ProjectionExpression": "x"}},
        {"Get": {"TableName": "users", "Key": {"id": {"S": "nope"}}}},
        {"Get": {"TableName": "orders", "Key": {"id": {"S": "a"}}}}])
    assert r["Responses"] == [{"Item": {"x": {"S": "1"}}}, {}, {}]
    assert fails(ddb.transact_get_items, TransactItems=[
        {"Get": {"TableName": "users", "Key": {"id": {"S": "a"}}}},
        {"Get": {"TableName": "users", "Key": {"id": {"S": "a"}}}}]) == (
        "ValidationException", "Transaction request cannot include multiple operations on one item")
    client = emu.resource("dynamodb").meta.client
    r = client.transact_get_items(TransactItems=[{"Get": {"TableName": "users", "Key": {"id": "a"}}}])
    assert r["Responses"][0]["Item"] == {"id": "a", "x": "1", "y": "2"}
