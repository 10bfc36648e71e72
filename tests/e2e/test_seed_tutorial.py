"""The tutorial's original Python Lambda (shared/seed.md), run unchanged against emu with boto3."""
import base64
import json
import os

from boto3.dynamodb.conditions import Attr

from conftest import ROOT


def tutorial_handler(event, dynamo_db, now):
    """The seed's handler body, verbatim apart from injected resource and clock."""
    table = dynamo_db.Table('searchFaceResponse')
    for record in event["Records"]:
        encoded = record["kinesis"]["data"]
        decoded = json.loads(base64.b64decode(encoded).decode("utf-8"))
        for faceSearchResponse in decoded["FaceSearchResponse"]:
            for matchedFaces in faceSearchResponse["MatchedFaces"]:
                data = {
                    'id': str(now),
                    'FaceId': matchedFaces["Face"]["FaceId"],
                    'Confidence': str(matchedFaces["Face"]["Confidence"]),
                    'Similarity': str(matchedFaces["Similarity"]),
                    'ExternalImageId': matchedFaces["Face"]["ExternalImageId"],
                    'ImageId': matchedFaces["Face"]["ImageId"]
                }
                imageId = ''
                res = table.scan(FilterExpression=Attr('ExternalImageId').eq('osm'))
                for item in res['Items']:
                    imageId = item['ExternalImageId']
                if data['ExternalImageId'] != imageId:
                    table.put_item(Item=data)


def wrap(record):
    data = base64.b64encode(json.dumps(record).encode()).decode()
    return {"Records": [{"kinesis": {"data": data}}]}


def face(ext, sim):
    return {"Similarity": sim, "Face": {"FaceId": "f-" + ext, "Confidence": 99.5,
                                        "ImageId": "i-" + ext, "ExternalImageId": ext}}


def test_tutorial_pattern_runs_against_emu(emu):
    res = emu.resource("dynamodb")
    res.create_table(TableName="searchFaceResponse",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST").wait_until_exists()
    table = res.Table("searchFaceResponse")
    frame = {"FaceSearchResponse": [{"MatchedFaces": [face("alice.jpg", 97.84118)]}]}
    tutorial_handler(wrap(frame), res, "2024-06-03 16:06:45.311")
    items = table.scan()["Items"]
    assert items == [{"id": "2024-06-03 16:06:45.311", "FaceId": "f-alice.jpg",
                      "Confidence": "99.5", "Similarity": "97.84118",
                      "ExternalImageId": "alice.jpg", "ImageId": "i-alice.jpg"}]
    # The tutorial's 'osm' check: once an 'osm' item exists, osm faces are skipped.
    osm = {"FaceSearchResponse": [{"MatchedFaces": [face("osm", 88.1)]}]}
    tutorial_handler(wrap(osm), res, "t2")
    tutorial_handler(wrap(osm), res, "t3")
    got = table.scan(FilterExpression=Attr("ExternalImageId").eq("osm"))["Items"]
    assert [i["id"] for i in got] == ["t2"]
    # And its known flaw, reproduced faithfully: the same `now` overwrites.
    two = {"FaceSearchResponse": [{"MatchedFaces": [face("bob.jpg", 90.0), face("carol.jpg", 91.0)]}]}
    tutorial_handler(wrap(two), res, "same-now")
    assert table.get_item(Key={"id": "same-now"})["Item"]["ExternalImageId"] == "carol.jpg"


def test_tutorial_pattern_on_a_fixture(emu):
    res = emu.resource("dynamodb")
    res.create_table(TableName="searchFaceResponse",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    with open(os.path.join(ROOT, "fixtures", "events", "one-face-one-match.json")) as f:
        event = json.load(f)
    tutorial_handler(event, res, "fixture-now")
    assert res.Table("searchFaceResponse").item_count == 1
