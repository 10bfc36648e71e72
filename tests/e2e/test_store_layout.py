"""The database file across emu versions: files of older layouts are
upgraded in place at start, step by step, keeping every item; a file from a
newer emu is refused.
  version 1 (before versioning): WITHOUT ROWID, keyed by (tbl, idx, seg, hk, rk, pk)
  version 2: WITHOUT ROWID, keyed by (tbl, idx, hk, rk, pk)
  version 3: a rowid table, with a unique index on (tbl, idx, hk, rk, pk)"""
import sqlite3
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


def make_old(db, items_sql, version):
    """Rewrite a current file into an older layout, rows unchanged."""
    con = sqlite3.connect(db)
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


CURRENT = (3, "tbl,idx,hk,rk,pk", "unique")


@pytest.mark.parametrize("old", [(V1_ITEMS, 0, (0, "tbl,idx,seg,hk,rk,pk", "pk"), "2, 3"),
                                 (V2_ITEMS, 2, (2, "tbl,idx,hk,rk,pk", "pk"), "3")],
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


def test_file_from_a_newer_emu_is_refused(tmp_path):
    db = str(tmp_path / "new.db")
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = 99")
    con.close()
    r = subprocess.run([EMU_BIN, "--port", "0", "--db", db], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode != 0
    assert "layout version 99" in r.stderr + r.stdout
