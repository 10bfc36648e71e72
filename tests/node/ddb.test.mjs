// AWS SDK for JavaScript v3 (client-dynamodb + lib-dynamodb) against a live emu.
// Run by tests/e2e/test_js_sdk.py, which sets EMU_ENDPOINT.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DynamoDBClient, CreateTableCommand, DescribeTableCommand, PutItemCommand,
  GetItemCommand, ConditionalCheckFailedException, ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";

const client = new DynamoDBClient({
  endpoint: process.env.EMU_ENDPOINT,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
});
const doc = DynamoDBDocumentClient.from(client);

test("create table, put and get through the low-level client", async () => {
  const r = await client.send(new CreateTableCommand({
    TableName: "jsdb",
    KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
    BillingMode: "PAY_PER_REQUEST",
  }));
  assert.equal(r.TableDescription.TableStatus, "ACTIVE");
  // The JS SDK sends non-ASCII as raw UTF-8.
  await client.send(new PutItemCommand({ TableName: "jsdb", Item: { id: { S: "ü-1" }, n: { N: "1.50" } } }));
  const g = await client.send(new GetItemCommand({ TableName: "jsdb", Key: { id: { S: "ü-1" } } }));
  assert.deepEqual(g.Item, { id: { S: "ü-1" }, n: { N: "1.5" } });
  const d = await client.send(new DescribeTableCommand({ TableName: "jsdb" }));
  assert.equal(d.Table.ItemCount, 1);
});

test("document client: marshalling, conditions, updates", async () => {
  await doc.send(new PutCommand({ TableName: "jsdb", Item: { id: "p1", name: "Alice", seen: 1 } }));
  await assert.rejects(
    doc.send(new PutCommand({ TableName: "jsdb", Item: { id: "p1" }, ConditionExpression: "attribute_not_exists(id)" })),
    (e) => e instanceof ConditionalCheckFailedException && e.message === "The conditional request failed",
  );
  const u = await doc.send(new UpdateCommand({
    TableName: "jsdb", Key: { id: "p1" }, UpdateExpression: "ADD seen :one SET #n = :n",
    ExpressionAttributeNames: { "#n": "name" }, ExpressionAttributeValues: { ":one": 1, ":n": "Alicia" },
    ReturnValues: "ALL_NEW",
  }));
  assert.deepEqual(u.Attributes, { id: "p1", name: "Alicia", seen: 2 });
  const g = await doc.send(new GetCommand({ TableName: "jsdb", Key: { id: "p1" }, ProjectionExpression: "seen" }));
  assert.deepEqual(g.Item, { seen: 2 });
});

test("errors map to the SDK's exception classes", async () => {
  await assert.rejects(
    client.send(new DescribeTableCommand({ TableName: "missing" })),
    (e) => e instanceof ResourceNotFoundException && e.message === "Requested resource not found",
  );
});
