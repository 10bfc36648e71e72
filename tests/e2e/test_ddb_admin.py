"""UpdateTable (billing, throughput, GSI create with backfill / delete), TTL and tags."""
import botocore.exceptions
import pytest
from conftest import error_of, fails


@pytest.fixture
def people(ddb):
    ddb.create_table(TableName="people", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    for i in range(30):
        item = {"id": {"S": "p%02d" % i}, "age": {"N": str(20 + i % 5)}}
        if i % 3:
            item["city"] = {"S": "c%d" % (i % 2)}
        ddb.put_item(TableName="people", Item=item)
    return "people"


def test_add_gsi_backfills_and_is_active(ddb, people):
    d = ddb.update_table(
        TableName="people",
        AttributeDefinitions=[{"AttributeName": "city", "AttributeType": "S"},
                              {"AttributeName": "age", "AttributeType": "N"}],
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "by-city",
            "KeySchema": [{"AttributeName": "city", "KeyType": "HASH"},
                          {"AttributeName": "age", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}],
    )["TableDescription"]
    gsi = d["GlobalSecondaryIndexes"][0]
    assert gsi["IndexName"] == "by-city" and gsi["IndexStatus"] == "ACTIVE"
    assert gsi["ItemCount"] == 20
    r = ddb.query(TableName="people", IndexName="by-city", KeyConditionExpression="city = :c",
                  ExpressionAttributeValues={":c": {"S": "c1"}})
    assert r["Count"] == 10
    assert [i["age"]["N"] for i in r["Items"]] == sorted(i["age"]["N"] for i in r["Items"])
    # later writes maintain it
    ddb.put_item(TableName="people", Item={"id": {"S": "new"}, "city": {"S": "c1"},
                                           "age": {"N": "1"}})
    r = ddb.query(TableName="people", IndexName="by-city", KeyConditionExpression="city = :c",
                  ExpressionAttributeValues={":c": {"S": "c1"}}, Limit=1)
    assert r["Items"][0]["id"] == {"S": "new"}
    t = ddb.describe_table(TableName="people")["Table"]
    assert {a["AttributeName"] for a in t["AttributeDefinitions"]} == {"id", "city", "age"}
    assert fails(ddb.update_table, TableName="people", GlobalSecondaryIndexUpdates=[{"Create": {
        "IndexName": "by-city", "KeySchema": [{"AttributeName": "city", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
        "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}])[0] == \
        "ValidationException"
    # delete it
    d = ddb.update_table(TableName="people",
                         GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-city"}}])
    assert "GlobalSecondaryIndexes" not in d["TableDescription"]
    assert fails(ddb.query, TableName="people", IndexName="by-city",
                 KeyConditionExpression="city = :c",
                 ExpressionAttributeValues={":c": {"S": "c1"}}) == (
        "ValidationException", "The table does not have the specified index: by-city")
    assert fails(ddb.update_table, TableName="people",
                 GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-city"}}])[0] == \
        "ResourceNotFoundException"


def test_billing_and_throughput(ddb, people):
    d = ddb.update_table(TableName="people",
                         ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 9})
    pt = d["TableDescription"]["ProvisionedThroughput"]
    assert (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) == (7, 9)
    assert d["TableDescription"]["TableStatus"] == "ACTIVE"
    assert fails(ddb.update_table, TableName="people",
                 ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 9}
                 )[1].startswith("The provisioned throughput for the table will not change.")
    d = ddb.update_table(TableName="people", BillingMode="PAY_PER_REQUEST")["TableDescription"]
    assert d["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert d["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert fails(ddb.update_table, TableName="people",
                 ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})[0] == \
        "ValidationException"
    d = ddb.update_table(TableName="people", BillingMode="PROVISIONED",
                         ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 3})
    assert d["TableDescription"]["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert d["TableDescription"]["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    ddb.get_waiter("table_exists").wait(TableName="people",
                                        WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    assert fails(ddb.update_table, TableName="nope", BillingMode="PAY_PER_REQUEST") == (
        "ResourceNotFoundException", "Requested resource not found: Table: nope not found")


def test_ttl(ddb, people):
    assert ddb.describe_time_to_live(TableName="people")["TimeToLiveDescription"] == \
        {"TimeToLiveStatus": "DISABLED"}
    r = ddb.update_time_to_live(TableName="people", TimeToLiveSpecification={
        "AttributeName": "expires", "Enabled": True})
    assert r["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}
    assert ddb.describe_time_to_live(TableName="people")["TimeToLiveDescription"] == \
        {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    assert fails(ddb.update_time_to_live, TableName="people", TimeToLiveSpecification={
        "AttributeName": "expires", "Enabled": True}) == (
        "ValidationException", "TimeToLive is already enabled")
    ddb.update_time_to_live(TableName="people", TimeToLiveSpecification={
        "AttributeName": "expires", "Enabled": False})
    assert fails(ddb.update_time_to_live, TableName="people", TimeToLiveSpecification={
        "AttributeName": "expires", "Enabled": False}) == (
        "ValidationException", "TimeToLive is already disabled")
    assert fails(ddb.describe_time_to_live, TableName="nope") == (
        "ResourceNotFoundException", "Requested resource not found: Table: nope not found")


def test_tags(ddb, people):
    arn = ddb.describe_table(TableName="people")["Table"]["TableArn"]
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "faces"},
                                            {"Key": "env", "Value": "dev"}])
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "ci"}])
    tags = ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "ci"), ("team", "faces")]
    ddb.untag_resource(ResourceArn=arn, TagKeys=["team", "absent"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "ci"}]
    missing = arn.replace("table/people", "table/nobody")
    assert fails(ddb.list_tags_of_resource, ResourceArn=missing) == (
        "ResourceNotFoundException", "Requested resource not found: ResourceArn: %s not found"
        % missing)
    assert fails(ddb.tag_resource, ResourceArn="a:b:c:d:e:f/g",
                 Tags=[{"Key": "k", "Value": "v"}]) == (
        "ValidationException", "Invalid TableArn: Invalid ResourceArn provided as input a:b:c:d:e:f/g")


def test_tags_from_create_table(ddb):
    d = ddb.create_table(TableName="tagged", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST", Tags=[{"Key": "a", "Value": "b"}])
    arn = d["TableDescription"]["TableArn"]
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "a", "Value": "b"}]
