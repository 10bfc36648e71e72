"""The HTTP layer as clients meet it: one emu per port, many connections
served at once while some requests wait for storage or for Lambda."""
import concurrent.futures
import http.client
import subprocess

from conftest import EMU_BIN


def test_second_emu_on_a_taken_port_fails(emu, tmp_path):
    r = subprocess.run([EMU_BIN, "--port", str(emu.port), "--db", str(tmp_path / "other.db")],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 1
    assert "cannot listen on 127.0.0.1:%d" % emu.port in r.stderr
    # The first one still answers, alone.
    assert emu.client("dynamodb").list_tables()["TableNames"] == []


def test_concurrent_writers_all_acknowledged_and_readable(emu_factory, tmp_path):
    e = emu_factory(db=str(tmp_path / "emu.db"))
    ddb = e.client("dynamodb", max_pool_connections=64)
    ddb.create_table(TableName="faces", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")

    def put(n):
        ddb.put_item(TableName="faces", Item={"id": {"S": "f%04d" % n}, "n": {"N": str(n)}},
                     ConditionExpression="attribute_not_exists(id)")
        return n

    with concurrent.futures.ThreadPoolExecutor(48) as pool:
        done = sorted(pool.map(put, range(600)))
    assert done == list(range(600))
    items = ddb.scan(TableName="faces")["Items"]
    assert sorted(int(i["n"]["N"]) for i in items) == list(range(600))
    assert ddb.describe_table(TableName="faces")["Table"]["ItemCount"] == 600


def test_live_counts_match_the_items_after_a_messy_history(emu_factory, tmp_path):
    """ItemCount/TableSizeBytes are kept per commit, not per item: after
    overwrites, deletes, failed conditions and cancelled transactions,
    concurrent and batched, they equal those of a table holding only the
    surviving items, also after a restart."""
    db = str(tmp_path / "emu.db")
    e = emu_factory(db=db)
    ddb = e.client("dynamodb", max_pool_connections=32)
    for name in ("messy", "clean"):
        ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")

    def item(n, v):
        return {"id": {"S": "k%03d" % n}, "v": {"S": "x" * (v % 50)}, "n": {"N": str(v)}}

    def history(n):
        ddb.put_item(TableName="messy", Item=item(n, 1))
        ddb.put_item(TableName="messy", Item=item(n, n))                 # overwrite
        try:
            ddb.put_item(TableName="messy", Item=item(n, 999),
                         ConditionExpression="attribute_not_exists(id)")  # fails
        except ddb.exceptions.ConditionalCheckFailedException:
            pass
        try:
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": "messy", "Item": item(n + 1000, 5)}},
                {"ConditionCheck": {"TableName": "messy", "Key": {"id": {"S": "k%03d" % n}},
                                    "ConditionExpression": "attribute_not_exists(id)"}}])
        except ddb.exceptions.TransactionCanceledException:
            pass
        if n % 3 == 0:
            ddb.delete_item(TableName="messy", Key={"id": {"S": "k%03d" % n}})

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(history, range(120)))
    ddb.batch_write_item(RequestItems={"messy": [
        {"PutRequest": {"Item": item(n, n + 7)}} for n in range(200, 225)]})
    survivors = [item(n, n) for n in range(120) if n % 3] + [item(n, n + 7)
                                                            for n in range(200, 225)]
    for it in survivors:
        ddb.put_item(TableName="clean", Item=it)

    def counts(client, name):
        t = client.describe_table(TableName=name)["Table"]
        return t["ItemCount"], t["TableSizeBytes"]

    assert counts(ddb, "messy")[0] == len(survivors) == 80 + 25
    assert counts(ddb, "messy") == counts(ddb, "clean")
    e.stop()
    e.start()
    ddb = e.client("dynamodb")
    assert counts(ddb, "messy") == counts(ddb, "clean")


def test_clients_that_hang_up_mid_request_leave_emu_healthy(emu_factory, tmp_path):
    """Clients that close their socket while their write waits for its
    commit (its connection parked), or halfway through sending a body, or
    before reading a Lambda long poll: emu keeps serving, every
    acknowledged write is there, and it shuts down cleanly (the fixture
    checks the exit status; under ASan a leak or a use-after-free fails)."""
    import socket

    e = emu_factory(db=str(tmp_path / "emu.db"))
    ddb = e.client("dynamodb")
    ddb.create_table(TableName="faces", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")

    def raw(body, send_all=True):
        s = socket.create_connection(("127.0.0.1", e.port), timeout=5)
        head = ("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
                "X-Amz-Target: DynamoDB_20120810.PutItem\r\nContent-Length: %d\r\n\r\n"
                % len(body)).encode()
        s.sendall(head + (body if send_all else body[: len(body) // 2]))
        s.close()

    for n in range(200):
        body = ('{"TableName":"faces","Item":{"id":{"S":"gone-%03d"}}}' % n).encode()
        raw(body, send_all=(n % 4 != 0))
    s = socket.create_connection(("127.0.0.1", e.port), timeout=5)
    s.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
    s.close()

    # Still serving, and each write either happened completely or not at all.
    ddb.put_item(TableName="faces", Item={"id": {"S": "after"}})
    assert ddb.get_item(TableName="faces", Key={"id": {"S": "after"}})["Item"]["id"]["S"] == "after"
    items = ddb.scan(TableName="faces")["Items"]
    ids = {i["id"]["S"] for i in items}
    assert "after" in ids
    assert all(i == "after" or i.startswith("gone-") for i in ids)
    assert not any(i in ids for i in ("gone-%03d" % n for n in range(0, 200, 4)))
    assert e.stop() == 0


def test_large_request_headers_and_keep_alive(emu):
    """Each connection's header memory is 16 KB: 8 KB of extra headers
    (ten times a SigV4-signed SDK request's) still get their answer, over
    one keep-alive connection, request after request."""
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    headers = {"X-Amz-Target": "DynamoDB_20120810.ListTables",
               "Content-Type": "application/x-amz-json-1.0",
               "X-Pad-1": "a" * 4000, "X-Pad-2": "b" * 4000}
    for _ in range(3):
        conn.request("POST", "/", body=b"{}", headers=headers)
        r = conn.getresponse()
        assert (r.status, r.read()) == (200, b'{"TableNames":[]}')
    conn.close()
