"""Query and Scan through boto3: ranges, paging, indexes, Select, parallel Scan, errors."""
from decimal import Decimal

import botocore.exceptions
import pytest
from boto3.dynamodb.conditions import Attr, Key
from conftest import error_of, fails


@pytest.fixture
def table(ddb):
    """music: (artist S, n N) with a GSI by genre (KEYS_ONLY), a GSI by year
    (ALL, sparse) and an LSI by title (INCLUDE genre)."""
    ddb.create_table(
        TableName="music",
        KeySchema=[{"AttributeName": "artist", "KeyType": "HASH"},
                   {"AttributeName": "n", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": t} for a, t in
                              [("artist", "S"), ("n", "N"), ("genre", "S"), ("year", "N"),
                               ("title", "S")]],
        GlobalSecondaryIndexes=[
            {"IndexName": "by-genre", "KeySchema": [{"AttributeName": "genre", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
            {"IndexName": "by-year", "KeySchema": [{"AttributeName": "genre", "KeyType": "HASH"},
                                                   {"AttributeName": "year", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[
            {"IndexName": "by-title", "KeySchema": [{"AttributeName": "artist", "KeyType": "HASH"},
                                                    {"AttributeName": "title", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["genre"]}}],
        BillingMode="PAY_PER_REQUEST")
    for i in range(20):
        item = {"artist": {"S": "a%d" % (i % 2)}, "n": {"N": str(i)},
                "title": {"S": "t%02d" % (19 - i)}, "genre": {"S": "rock" if i % 3 else "jazz"},
                "blob": {"S": "x" * i}}
        if i % 4 == 0:
            item["year"] = {"N": str(1990 + i)}
        ddb.put_item(TableName="music", Item=item)
    return "music"


def q(ddb, **kw):
    kw.setdefault("TableName", "music")
    return ddb.query(**kw)


def test_query_sort_conditions(ddb, table):
    def ns(**kw):
        return [int(i["n"]["N"]) for i in q(ddb, **kw)["Items"]]
    v = {":a": {"S": "a0"}, ":x": {"N": "4"}, ":y": {"N": "10"}}
    base = {"ExpressionAttributeValues": v}
    assert ns(KeyConditionExpression="artist = :a", ExpressionAttributeValues={":a": v[":a"]}) == \
        list(range(0, 20, 2))
    assert ns(KeyConditionExpression="artist = :a AND n < :x", **{"ExpressionAttributeValues": {
        ":a": v[":a"], ":x": v[":x"]}}) == [0, 2]
    assert ns(KeyConditionExpression="artist = :a AND n <= :x", ExpressionAttributeValues={
        ":a": v[":a"], ":x": v[":x"]}) == [0, 2, 4]
    assert ns(KeyConditionExpression="artist = :a AND n > :x", ExpressionAttributeValues={
        ":a": v[":a"], ":x": v[":x"]}) == [6, 8, 10, 12, 14, 16, 18]
    assert ns(KeyConditionExpression="artist = :a AND n >= :y", ExpressionAttributeValues={
        ":a": v[":a"], ":y": v[":y"]}) == [10, 12, 14, 16, 18]
    assert ns(KeyConditionExpression="artist = :a AND n = :y", ExpressionAttributeValues={
        ":a": v[":a"], ":y": v[":y"]}) == [10]
    assert ns(KeyConditionExpression="artist = :a AND n BETWEEN :x AND :y", **base) == [4, 6, 8, 10]
    assert ns(KeyConditionExpression="artist = :a AND n BETWEEN :x AND :y", ScanIndexForward=False,
              **base) == [10, 8, 6, 4]
    # legacy KeyConditions
    assert ns(KeyConditions={"artist": {"ComparisonOperator": "EQ", "AttributeValueList": [v[":a"]]},
                             "n": {"ComparisonOperator": "GT", "AttributeValueList": [v[":y"]]}}) == \
        [12, 14, 16, 18]


def test_query_begins_with_and_numbers_order(ddb):
    ddb.create_table(TableName="words", KeySchema=[{"AttributeName": "h", "KeyType": "HASH"},
                                                   {"AttributeName": "s", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "h", "AttributeType": "S"},
                                           {"AttributeName": "s", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    for s in ["app", "apple", "apply", "apq", "ap\u00e9", "b", "ap"]:
        ddb.put_item(TableName="words", Item={"h": {"S": "x"}, "s": {"S": s}})
    r = ddb.query(TableName="words", KeyConditionExpression="h = :h AND begins_with(s, :p)",
                  ExpressionAttributeValues={":h": {"S": "x"}, ":p": {"S": "app"}})
    assert [i["s"]["S"] for i in r["Items"]] == ["app", "apple", "apply"]
    assert r["ScannedCount"] == 3
    r = ddb.query(TableName="words", KeyConditionExpression="h = :h AND begins_with(s, :p)",
                  ExpressionAttributeValues={":h": {"S": "x"}, ":p": {"S": "ap"}})
    # strings sort by UTF-8 bytes: "é" (0xC3 0xA9) after "q"
    assert [i["s"]["S"] for i in r["Items"]] == ["ap", "app", "apple", "apply", "apq", "ap\u00e9"]


def test_query_limit_pages_and_paginator(ddb, table):
    r = q(ddb, KeyConditionExpression="artist = :a", ExpressionAttributeValues={":a": {"S": "a1"}},
          Limit=4)
    assert r["Count"] == 4 and r["ScannedCount"] == 4
    assert r["LastEvaluatedKey"] == {"artist": {"S": "a1"}, "n": {"N": "7"}}
    r2 = q(ddb, KeyConditionExpression="artist = :a", ExpressionAttributeValues={":a": {"S": "a1"}},
           Limit=4, ExclusiveStartKey=r["LastEvaluatedKey"])
    assert [i["n"]["N"] for i in r2["Items"]] == ["9", "11", "13", "15"]
    pages = list(ddb.get_paginator("query").paginate(
        TableName="music", KeyConditionExpression="artist = :a",
        ExpressionAttributeValues={":a": {"S": "a1"}}, PaginationConfig={"PageSize": 3}))
    assert [i["n"]["N"] for p in pages for i in p["Items"]] == [str(n) for n in range(1, 20, 2)]
    assert len(pages) == 4


def test_limit_counts_items_before_the_filter(ddb, table):
    r = q(ddb, KeyConditionExpression="artist = :a", FilterExpression="genre = :g",
          ExpressionAttributeValues={":a": {"S": "a0"}, ":g": {"S": "jazz"}}, Limit=4)
    # n = 0, 2, 4, 6 evaluated; jazz when n % 3 == 0: 0 and 6
    assert r["ScannedCount"] == 4 and r["Count"] == 2
    assert [i["n"]["N"] for i in r["Items"]] == ["0", "6"]
    assert "LastEvaluatedKey" in r


def test_resource_api_query_and_scan(emu, table):
    t = emu.resource("dynamodb").Table("music")
    r = t.query(KeyConditionExpression=Key("artist").eq("a0") & Key("n").between(2, 6),
                FilterExpression=Attr("genre").eq("rock"))
    assert [i["n"] for i in r["Items"]] == [Decimal(2), Decimal(4)]
    r = t.scan(FilterExpression=Attr("year").exists(), ProjectionExpression="n, #y",
               ExpressionAttributeNames={"#y": "year"})
    assert sorted(i["n"] for i in r["Items"]) == [0, 4, 8, 12, 16]
    assert all(set(i) == {"n", "year"} for i in r["Items"])
    assert r["ScannedCount"] == 20


def test_select_count_and_projection(ddb, table):
    r = q(ddb, KeyConditionExpression="artist = :a", ExpressionAttributeValues={":a": {"S": "a0"}},
          Select="COUNT")
    assert r["Count"] == 10 and "Items" not in r
    r = ddb.scan(TableName="music", Select="SPECIFIC_ATTRIBUTES", AttributesToGet=["title"])
    assert all(list(i) == ["title"] for i in r["Items"]) and r["Count"] == 20


def test_select_errors(ddb, table):
    kc = {"KeyConditionExpression": "artist = :a", "ExpressionAttributeValues": {":a": {"S": "a0"}}}
    assert fails(ddb.query, TableName="music", Select="SPECIFIC_ATTRIBUTES", **kc) == (
        "ValidationException", "1 validation error detected: Must specify the AttributesToGet or "
        "ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
    assert fails(ddb.scan, TableName="music", Select="SPECIFIC_ATTRIBUTES") == (
        "ValidationException", "Must specify the AttributesToGet or ProjectionExpression when "
        "choosing to get SPECIFIC_ATTRIBUTES")
    assert fails(ddb.scan, TableName="music", Select="COUNT", ProjectionExpression="n") == (
        "ValidationException", "Cannot specify the ProjectionExpression when choosing to get only "
        "the Count")
    assert fails(ddb.scan, TableName="music", Select="ALL_PROJECTED_ATTRIBUTES") == (
        "ValidationException", "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an "
        "IndexName")
    assert fails(ddb.query, TableName="music", Select="ALL_PROJECTED_ATTRIBUTES", **kc) == (
        "ValidationException", "1 validation error detected: ALL_PROJECTED_ATTRIBUTES can be used "
        "only when Querying using an IndexName")
    assert fails(ddb.scan, TableName="music", IndexName="by-genre", Select="ALL_ATTRIBUTES") == (
        "ValidationException", "One or more parameter values were invalid: Select type "
        "ALL_ATTRIBUTES is not supported for global secondary index by-genre because its "
        "projection type is not ALL")


def test_gsi_keys_only_sparse_and_lek(ddb, table):
    r = q(ddb, IndexName="by-genre", KeyConditionExpression="genre = :g",
          ExpressionAttributeValues={":g": {"S": "jazz"}})
    assert r["Count"] == 7
    assert all(set(i) == {"artist", "n", "genre"} for i in r["Items"])
    r = q(ddb, IndexName="by-year", KeyConditionExpression="genre = :g AND #y > :y",
          ExpressionAttributeNames={"#y": "year"},
          ExpressionAttributeValues={":g": {"S": "rock"}, ":y": {"N": "1990"}}, Limit=1)
    # sparse: only items with a year (n % 4 == 0) and rock (n % 3 != 0): n = 4, 8, 16
    assert [i["n"]["N"] for i in r["Items"]] == ["4"]
    assert r["LastEvaluatedKey"] == {"artist": {"S": "a0"}, "n": {"N": "4"},
                                     "genre": {"S": "rock"}, "year": {"N": "1994"}}
    rest = q(ddb, IndexName="by-year", KeyConditionExpression="genre = :g AND #y > :y",
             ExpressionAttributeNames={"#y": "year"},
             ExpressionAttributeValues={":g": {"S": "rock"}, ":y": {"N": "1990"}},
             ExclusiveStartKey=r["LastEvaluatedKey"])
    assert [i["n"]["N"] for i in rest["Items"]] == ["8", "16"]
    assert "blob" in rest["Items"][0]  # ALL projection
    assert fails(q, ddb=ddb, IndexName="by-genre", ConsistentRead=True,
                 KeyConditionExpression="genre = :g",
                 ExpressionAttributeValues={":g": {"S": "jazz"}}) == (
        "ValidationException", "Consistent reads are not supported on global secondary indexes")
    assert fails(q, ddb=ddb, IndexName="nope", KeyConditionExpression="genre = :g",
                 ExpressionAttributeValues={":g": {"S": "jazz"}}) == (
        "ValidationException", "The table does not have the specified index: nope")


def test_lsi_order_projection_and_all_attributes(ddb, table):
    r = q(ddb, IndexName="by-title", KeyConditionExpression="artist = :a",
          ExpressionAttributeValues={":a": {"S": "a0"}}, Limit=3)
    assert [i["title"]["S"] for i in r["Items"]] == ["t01", "t03", "t05"]
    assert set(r["Items"][0]) == {"artist", "n", "title", "genre"}
    assert set(r["LastEvaluatedKey"]) == {"artist", "n", "title"}
    r = q(ddb, IndexName="by-title", KeyConditionExpression="artist = :a",
          ExpressionAttributeValues={":a": {"S": "a0"}}, Select="ALL_ATTRIBUTES", Limit=1)
    assert "blob" in r["Items"][0]
    r = q(ddb, IndexName="by-title", KeyConditionExpression="artist = :a",
          ExpressionAttributeValues={":a": {"S": "a0"}}, ConsistentRead=True, Select="COUNT")
    assert r["Count"] == 10


def test_index_scan_pages(ddb, table):
    pages = list(ddb.get_paginator("scan").paginate(TableName="music", IndexName="by-year",
                                                    PaginationConfig={"PageSize": 2}))
    assert sorted(int(i["n"]["N"]) for p in pages for i in p["Items"]) == [0, 4, 8, 12, 16]


def test_parallel_scan_returns_every_item_once(ddb, table):
    for total in (1, 2, 3, 7, 16):
        seen = []
        for seg in range(total):
            for p in ddb.get_paginator("scan").paginate(
                    TableName="music", Segment=seg, TotalSegments=total,
                    PaginationConfig={"PageSize": 3}):
                seen += [(i["artist"]["S"], i["n"]["N"]) for i in p["Items"]]
        assert sorted(seen) == sorted({(i["artist"]["S"], i["n"]["N"])
                                       for i in ddb.scan(TableName="music")["Items"]}), total
        assert len(seen) == 20
    r = ddb.scan(TableName="music", Segment=999999, TotalSegments=1000000)
    assert r["Count"] == 0 or r["Count"] <= 20


def test_scan_segment_errors(ddb, table):
    assert fails(ddb.scan, TableName="music", Segment=1) == (
        "ValidationException", "The TotalSegments parameter is required but was not present in "
        "the request when Segment parameter is present")
    assert fails(ddb.scan, TableName="music", Segment=3, TotalSegments=3) == (
        "ValidationException", "The Segment parameter is zero-based and must be less than "
        "parameter TotalSegments: Segment: 3 is not less than TotalSegments: 3")
    assert fails(ddb.scan, TableName="music", Segment=0, TotalSegments=1000001) == (
        "ValidationException", "1 validation error detected: Value '1000001' at 'totalSegments' "
        "failed to satisfy constraint: Member must have value less than or equal to 1000000")


def test_one_megabyte_pages(ddb):
    ddb.create_table(TableName="big", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    for i in range(12):
        ddb.put_item(TableName="big", Item={"id": {"S": "k%02d" % i}, "b": {"S": "z" * 200000}})
    r = ddb.scan(TableName="big")
    # 200 KB items: the page stops after the item that crosses 1 MB (the 6th)
    assert r["Count"] == 6 and "LastEvaluatedKey" in r
    total = sum(p["Count"] for p in ddb.get_paginator("scan").paginate(TableName="big"))
    assert total == 12


def test_query_errors(emu, ddb, table):
    assert fails(q, ddb=ddb, KeyConditionExpression="n = :n",
                 ExpressionAttributeValues={":n": {"N": "1"}}) == (
        "ValidationException", "Query condition missed key schema element: artist")
    assert fails(q, ddb=ddb, KeyConditionExpression="artist = :a",
                 ExpressionAttributeValues={":a": {"N": "1"}}) == (
        "ValidationException", "One or more parameter values were invalid: Condition parameter "
        "type does not match schema type")
    assert fails(q, ddb=ddb, KeyConditionExpression="artist = :a",
                 ExpressionAttributeValues={":a": {"S": "a0"}},
                 ExclusiveStartKey={"artist": {"S": "a1"}, "n": {"N": "3"}}) == (
        "ValidationException", "The provided starting key is outside query boundaries based on "
        "provided conditions")
    assert fails(q, ddb=ddb, KeyConditionExpression="artist = :a",
                 ExpressionAttributeValues={":a": {"S": "a0"}},
                 ExclusiveStartKey={"artist": {"S": "a0"}})[1].startswith(
        "The provided starting key is invalid")
    assert fails(q, ddb=ddb, TableName="missing", KeyConditionExpression="artist = :a",
                 ExpressionAttributeValues={":a": {"S": "a0"}}) == (
        "ResourceNotFoundException", "Requested resource not found")
    assert fails(ddb.query, TableName="music") == (
        "ValidationException", "Either the KeyConditions or KeyConditionExpression parameter "
        "must be specified in the request.")
    raw = emu.client("dynamodb", parameter_validation=False)
    assert fails(raw.scan, TableName="music", Limit=0) == (
        "ValidationException", "1 validation error detected: Value '0' at 'limit' failed to "
        "satisfy constraint: Member must have value greater than or equal to 1")


def test_consumed_capacity(ddb, table):
    r = q(ddb, KeyConditionExpression="artist = :a", ExpressionAttributeValues={":a": {"S": "a0"}},
          ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["TableName"] == "music"
    assert r["ConsumedCapacity"]["CapacityUnits"] == 0.5
    r = q(ddb, IndexName="by-genre", KeyConditionExpression="genre = :g",
          ExpressionAttributeValues={":g": {"S": "jazz"}}, ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"]["GlobalSecondaryIndexes"]["by-genre"]["CapacityUnits"] == 0.5


def test_lambda_pattern_scan_filter(emu, ddb):
    ddb.create_table(TableName="faces", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    t = emu.resource("dynamodb").Table("faces")
    t.put_item(Item={"id": "1", "ExternalImageId": "osm"})
    t.put_item(Item={"id": "2", "ExternalImageId": "other"})
    r = t.scan(FilterExpression=Attr("ExternalImageId").eq("osm"))
    assert r["Items"] == [{"id": "1", "ExternalImageId": "osm"}]
    assert r["ScannedCount"] == 2


def test_query_filter_on_key_attributes_is_refused(ddb, table):
    kc = {"KeyConditionExpression": "artist = :a", "ExpressionAttributeValues": {":a": {"S": "a0"}, ":v": {"N": "3"}}}
    assert fails(ddb.query, TableName="music", FilterExpression="n > :v", **kc) == (
        "ValidationException",
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: n")
    assert fails(ddb.query, TableName="music", KeyConditions={
        "artist": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a0"}]}},
        QueryFilter={"artist": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a0"}]}}) == (
        "ValidationException",
        "QueryFilter can only contain non-primary key attributes: Primary key attribute: artist")
    # On an index only the index's keys count: the table's sort key may be filtered.
    r = ddb.query(TableName="music", IndexName="by-year", KeyConditionExpression="genre = :g",
                  FilterExpression="n > :v",
                  ExpressionAttributeValues={":g": {"S": "jazz"}, ":v": {"N": "3"}})
    assert sorted(int(i["n"]["N"]) for i in r["Items"]) == [12]
    assert fails(ddb.query, TableName="music", IndexName="by-year", KeyConditionExpression="genre = :g",
                 FilterExpression="#y > :v", ExpressionAttributeNames={"#y": "year"},
                 ExpressionAttributeValues={":g": {"S": "jazz"}, ":v": {"N": "3"}})[1].endswith(
        "Primary key attribute: year")


def test_spliced_and_parsed_answers_agree(ddb, table):
    # Without filter or projection Query/Scan splice stored JSON into the answer;
    # with an always-true filter they take the parsed path. Both must agree,
    # page by page, LastEvaluatedKey included.
    def pages(op, **kw):
        out, start = [], None
        while True:
            if start:
                kw["ExclusiveStartKey"] = start
            r = op(**kw)
            out.append((r["Items"], r["Count"], r["ScannedCount"], r.get("LastEvaluatedKey")))
            start = r.get("LastEvaluatedKey")
            if not start:
                return out
    always = {"FilterExpression": "attribute_exists(title) OR attribute_not_exists(title)"}
    q = {"TableName": "music", "KeyConditionExpression": "artist = :a", "Limit": 3,
         "ExpressionAttributeValues": {":a": {"S": "a1"}}}
    assert pages(ddb.query, **q) == pages(ddb.query, **q, **always)
    assert len(pages(ddb.query, **q)) == 4
    s = {"TableName": "music", "Limit": 7}
    assert pages(ddb.scan, **s) == pages(ddb.scan, **s, **always)
    g = {"TableName": "music", "IndexName": "by-year", "KeyConditionExpression": "genre = :g",
         "ExpressionAttributeValues": {":g": {"S": "rock"}}, "Limit": 1, "ScanIndexForward": False}
    assert pages(ddb.query, **g) == pages(ddb.query, **g, **always)
    r = ddb.query(TableName="music", KeyConditionExpression="artist = :a",
                  ExpressionAttributeValues={":a": {"S": "nobody"}})
    assert (r["Items"], r["Count"], r["ScannedCount"]) == ([], 0, 0)
