"""The database on disk under sustained writes: the checkpointer copies the
WAL into the database while emu runs, the WAL starts again from its
beginning instead of growing, readers see every committed write meanwhile,
and nothing acknowledged is lost to a kill -9."""
import os
import signal
import threading

import pytest
from test_ddb_basic import make_table

FRAME = 4096 + 24          # a WAL frame: page plus frame header
WAL_RESTART = 8000         # STORE_WAL_RESTART in src/emu/store.c


@pytest.mark.parametrize("sync", ["normal", "full"])
def test_wal_is_copied_while_writing_and_stays_bounded(emu_factory, tmp_path, sync):
    db = str(tmp_path / "emu.db")
    e = emu_factory(args=["--sync", sync], db=db)
    ddb = e.client("dynamodb")
    make_table(ddb)
    blob = "x" * 12000
    batches = 300            # 90 MB of items: the WAL's restart size about three times over
    wal_max, written, read_errors = 0, [0], []
    stop = threading.Event()

    def reader():
        # Reads beside the writes and checkpoints: every acknowledged key is found.
        rd = e.client("dynamodb")
        while not stop.is_set():
            n = written[0]
            if n == 0:
                continue
            key = "k%06d" % (n - 1)
            item = rd.get_item(TableName="faces", Key={"id": {"S": key}}).get("Item")
            if item is None or item["blob"]["S"] != blob:
                read_errors.append(key)

    t = threading.Thread(target=reader)
    t.start()
    try:
        for b in range(batches):
            items = [{"PutRequest": {"Item": {"id": {"S": "k%06d" % (b * 25 + i)},
                                              "blob": {"S": blob}}}} for i in range(25)]
            assert ddb.batch_write_item(RequestItems={"faces": items})["UnprocessedItems"] == {}
            written[0] = (b + 1) * 25
            wal_max = max(wal_max, os.path.getsize(db + "-wal"))
    finally:
        stop.set()
        t.join()
    assert read_errors == []
    # Restarted near WAL_RESTART frames, not grown to the 22,000 written.
    assert wal_max <= (WAL_RESTART + 1000) * FRAME, wal_max
    # Copied into the database while running: the file only grows by checkpoints.
    assert os.path.getsize(db) > 60 * 1024 * 1024

    e.stop(signal.SIGKILL)
    e.start()
    ddb = e.client("dynamodb")
    assert ddb.describe_table(TableName="faces")["Table"]["ItemCount"] == batches * 25
    for k in (0, 4321, batches * 25 - 1):
        item = ddb.get_item(TableName="faces", Key={"id": {"S": "k%06d" % k}})["Item"]
        assert item["blob"]["S"] == blob
