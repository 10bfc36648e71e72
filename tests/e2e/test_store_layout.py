"""The database file across emu versions: files of older layouts are
upgraded in place at start, step by step, keeping every item; a file from a
newer emu is refused.
  version 1 (before versioning): WITHOUT ROWID, keyed by (tbl, idx, seg, hk, rk, pk)
  version 2: WITHOUT ROWID, keyed by (tbl, idx, hk, rk, pk)
  version 3: a rowid table, with a unique index on (tbl, idx, hk, rk, pk)
  version 4: Kinesis records in chunks (kin_chunk) instead of a row each
             (kin_record); the files of versions 1-3 all had kin_record"""
import sqlite3
import struct
import subprocess

import pytest

from boto3.dynamodb.conditions import Key

from conftest import EMU_BIN

V1_ITEMS = """CREATE TABLE ddb_items(
  tbl INTEGER NOT NULL, idx INTEGER NOT NULL, seg INTEGER NOT NULL,
  hk BLOB NOT NULL, rk BLOB NOT NULL, pk BLOB NOT NULL, body TEXT NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY(tbl, idx, seg, hk, rk, pk)) WITHOUT ROWID"""

V2_ITEMS = V1_ITEMS.replace("seg, hk", "hk")


V3_RECORDS = """CREATE TABLE kin_record (
  stream INTEGER NOT NULL, shard INTEGER NOT NULL, seq INTEGER NOT NULL,
  arrival_ms INTEGER NOT NULL, pkey TEXT NOT NULL, data BLOB NOT NULL);
CREATE UNIQUE INDEX kin_record_seq ON kin_record (stream, shard, seq);
CREATE INDEX kin_record_time ON kin_record (stream, arrival_ms);"""


def chunk_records(body):
    """The records of a kin_chunk blob: (counter, partition key, data)."""
    out, at = [], 0
    while at < len(body):
        seq, pk_len, data_len = struct.unpack_from(">QII", body, at)
        at += 16
        pk = body[at:at + pk_len].decode()
        assert body[at + pk_len] == 0
        at += pk_len + 1
        out.append((seq, pk, body[at:at + data_len]))
        at += data_len
    return out


def kin_to_v3(con):
    """Kinesis records back into version 3's table: a row per record."""
    con.executescript(V3_RECORDS)
    for stream, shard, arrival, body in con.execute(
            "SELECT stream, shard, arrival_ms, body FROM kin_chunk").fetchall():
        for seq, pk, data in chunk_records(body):
            con.execute("INSERT INTO kin_record VALUES (?, ?, ?, ?, ?, ?)",
                        (stream, shard, seq, arrival, pk, data))
    con.executescript("DROP TABLE kin_chunk;")


def make_old(db, items_sql, version):
    """Rewrite a current file into an older layout, rows unchanged."""
    con = sqlite3.connect(db)
    kin_to_v3(con)
    con.executescript("ALTER TABLE ddb_items RENAME TO cur;" + items_sql + ";"
                      "INSERT INTO ddb_items SELECT tbl, idx, seg, hk, rk, pk, body, size FROM cur;"
                      "DROP TABLE cur; PRAGMA user_version = %d;" % version)
    con.close()
    return layout(db)


def layout(db):
    """(user_version, key columns, 'pk' for a WITHOUT ROWID primary key or
    'unique' for a unique index on a rowid table)."""
    con = sqlite3.connect(db)
    version = con.execute("PRAGMA user_version").fetchone()[0]
    idx, origin = con.execute("SELECT name, origin FROM pragma_index_list('ddb_items')"
                              " WHERE \"unique\" = 1").fetchone()
    cols = con.execute("SELECT group_concat(name) FROM pragma_index_info(?)",
                       (idx,)).fetchone()[0]
    con.close()
    return version, cols, "pk" if origin == "pk" else "unique"


CURRENT = (4, "tbl,idx,hk,rk,pk", "unique")


@pytest.mark.parametrize("old", [(V1_ITEMS, 0, (0, "tbl,idx,seg,hk,rk,pk", "pk"), "2, 3, 4"),
                                 (V2_ITEMS, 2, (2, "tbl,idx,hk,rk,pk", "pk"), "3, 4")],
                         ids=["version1", "version2"])
def test_old_file_is_upgraded_with_every_item(emu_factory, tmp_path, old):
    items_sql, version, old_layout, steps = old
    db = str(tmp_path / "old.db")
    e = emu_factory(db=db)
    res = e.resource("dynamodb")
    t = res.create_table(
        TableName="faces",
        KeySchema=[{"AttributeName": "person", "KeyType": "HASH"},
                   {"AttributeName": "seen", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "person", "AttributeType": "S"},
                              {"AttributeName": "seen", "AttributeType": "N"},
                              {"AttributeName": "camera", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_camera",
                                 "KeySchema": [{"AttributeName": "camera", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        BillingMode="PAY_PER_REQUEST")
    with t.batch_writer() as w:
        for p in range(20):
            for s in range(5):
                w.put_item(Item={"person": "p%02d" % p, "seen": s, "camera": "cam%d" % (p % 3)})
    assert e.stop() == 0
    assert layout(db) == CURRENT
    assert make_old(db, items_sql, version) == old_layout

    e.start()
    assert layout(db) == CURRENT
    for step in steps.split(", "):
        assert "upgraded %s to layout version %s" % (db, step) in e.logs()
    t = e.resource("dynamodb").Table("faces")
    assert t.item_count == 100
    assert t.get_item(Key={"person": "p07", "seen": 3})["Item"]["camera"] == "cam1"
    q = t.query(KeyConditionExpression=Key("person").eq("p11") & Key("seen").gte(2))
    assert [int(i["seen"]) for i in q["Items"]] == [2, 3, 4]
    g = t.query(IndexName="by_camera", KeyConditionExpression=Key("camera").eq("cam2"))
    assert g["Count"] == 6 * 5   # p02, p05, ... p17
    assert len(t.scan()["Items"]) == 100
    # Writes after the upgrade land in the new layout and are read back.
    t.put_item(Item={"person": "p99", "seen": 1, "camera": "cam0"})
    assert t.get_item(Key={"person": "p99", "seen": 1})["Item"]["camera"] == "cam0"


def test_version3_records_are_upgraded_to_chunks(emu_factory, tmp_path):
    """Records written by emu are still there, in order, with the same
    sequence numbers, after a round trip through version 3's layout."""
    db = str(tmp_path / "kin.db")
    e = emu_factory(db=db)
    k = e.client("kinesis")
    k.create_stream(StreamName="faces", ShardCount=2)
    k.get_waiter("stream_exists").wait(StreamName="faces",
                                       WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    put = []
    for batch in range(3):
        entries = [{"Data": b"rec-%d-%d" % (batch, i) + b"\x00\xff" * i,
                    "PartitionKey": "pk-%d" % i} for i in range(25)]
        r = k.put_records(StreamName="faces", Records=entries)
        assert r["FailedRecordCount"] == 0
        put += [(x["ShardId"], x["SequenceNumber"], e_["PartitionKey"], e_["Data"])
                for x, e_ in zip(r["Records"], entries)]
    assert e.stop() == 0
    con = sqlite3.connect(db)
    chunks = con.execute("SELECT count(*) FROM kin_chunk").fetchone()[0]
    assert chunks == 6      # 3 writes x 2 shards
    kin_to_v3(con)
    con.execute("PRAGMA user_version = 3")
    con.commit()
    assert con.execute("SELECT count(*) FROM kin_record").fetchone()[0] == 75
    con.close()

    e.start()
    assert "upgraded %s to layout version 4" % db in e.logs()
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'kin_record'"
                       ).fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM kin_chunk").fetchone()[0] == 75
    con.close()
    k = e.client("kinesis")
    got = []
    for shard in sorted({p[0] for p in put}):
        it = k.get_shard_iterator(StreamName="faces", ShardId=shard,
                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        recs = k.get_records(ShardIterator=it, Limit=1000)["Records"]
        got += [(shard, r["SequenceNumber"], r["PartitionKey"], r["Data"]) for r in recs]
    assert sorted(got, key=lambda g: (g[0], int(g[1]))) == \
        sorted(put, key=lambda g: (g[0], int(g[1])))
    # Reading from the middle by sequence number, and writing after the upgrade.
    mid = sorted((p for p in put if p[0] == put[0][0]), key=lambda p: int(p[1]))[5]
    it = k.get_shard_iterator(StreamName="faces", ShardId=mid[0],
                              ShardIteratorType="AT_SEQUENCE_NUMBER",
                              StartingSequenceNumber=mid[1])["ShardIterator"]
    assert k.get_records(ShardIterator=it, Limit=1)["Records"][0]["Data"] == mid[3]
    r = k.put_record(StreamName="faces", Data=b"after", PartitionKey="pk-0")
    it = k.get_shard_iterator(StreamName="faces", ShardId=r["ShardId"],
                              ShardIteratorType="AT_SEQUENCE_NUMBER",
                              StartingSequenceNumber=r["SequenceNumber"])["ShardIterator"]
    assert k.get_records(ShardIterator=it)["Records"][0]["Data"] == b"after"


def test_file_from_a_newer_emu_is_refused(tmp_path):
    db = str(tmp_path / "new.db")
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = 99")
    con.close()
    r = subprocess.run([EMU_BIN, "--port", "0", "--db", db], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode != 0
    assert "layout version 99" in r.stderr + r.stdout
