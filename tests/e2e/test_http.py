"""The HTTP layer as clients meet it: one emu per port, many connections
served at once while some requests wait for storage or for Lambda."""
import concurrent.futures
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
