"""ParallelizationFactor against a live emu: up to N batches of one shard in
flight at once, per-partition-key order, one lane per key (FNV-1a of the key
mod N, as src/emu/lam_esm_lanes.c), and the shard checkpoint across restarts
(at-least-once: nothing acknowledged below the lowest unacknowledged record is
redelivered, nothing is lost).  The function is tests/e2e/runtimes/test_runtime.py
with RUNTIME_SLEEP, so batches overlap visibly in its start/end times.
"""
import time

from test_lambda_esm import RUNTIME, Env


def fnv_lane(key, n):
    h = 1469598103934665603
    for b in key.encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h % n


def args(log, sleep, extra=()):
    """A function with concurrency 3, so three lanes can run at once."""
    return ["--function", "proc=" + RUNTIME, "--fn-timeout", "10", "--fn-concurrency", "3",
            "--fn-env", "RUNTIME_LOG=" + log, "--fn-env", "RUNTIME_SLEEP=%g" % sleep, *extra]


def put_keys(env, stream, n, nkeys, slow_key=None):
    """Put n records "r-NNN" with keys key-(i mod nkeys), one PutRecords call per 20;
    the records of slow_key get "-SLOW" appended (the runtime takes longer)."""
    want = {}
    for base in range(0, n, 20):
        recs = [{"Data": ("r-%03d%s" % (i, "-SLOW" if i % nkeys == slow_key else "")).encode(),
                 "PartitionKey": "key-%d" % (i % nkeys)}
                for i in range(base, min(n, base + 20))]
        r = env.kin.put_records(StreamName=stream, Records=recs)
        assert r["FailedRecordCount"] == 0
        for rec, out in zip(recs, r["Records"]):
            want.setdefault(rec["PartitionKey"], []).append(rec["Data"].decode())
    return want


def overlapping(calls):
    return any(a["t0"] < b["t1"] and b["t0"] < a["t1"]
               for i, a in enumerate(calls) for b in calls[i + 1:])


def test_parallel_lanes_keep_key_order(emu_factory, tmp_path):
    log = str(tmp_path / "calls.jsonl")
    env = Env(emu_factory(args(log, 0.25)), log)
    arn = env.stream("par")
    want = put_keys(env, "par", 60, 12)
    m = env.mapping(arn, BatchSize=5, ParallelizationFactor=3)
    assert m["ParallelizationFactor"] == 3
    env.wait(lambda c: len(set(env.delivered_ok())) == 60, timeout=30)
    calls = sorted(env.calls(), key=lambda c: c["t0"])
    assert all(c["outcome"] == "ok" for c in calls)
    assert sorted(env.delivered_ok()) == ["r-%03d" % i for i in range(60)]   # no duplicates
    got = {}
    for c in calls:
        assert len(c["seqs"]) <= 5 and c["seqs"] == sorted(c["seqs"], key=int)
        assert len({fnv_lane(k, 3) for k in c["keys"]}) == 1        # one lane per batch
        for k, d in zip(c["keys"], c["data"]):
            got.setdefault(k, []).append(d)
    assert got == want                                              # per-key order
    assert overlapping(calls)                     # several batches of the shard at once
    # Three lanes of 0.25 s batches: well under the 12 x 0.25 s of one poller.
    assert calls[-1]["t1"] - calls[0]["t0"] < 12 * 0.25


def test_parallel_checkpoint_across_restart(emu_factory, tmp_path):
    log = str(tmp_path / "calls.jsonl")
    db = str(tmp_path / "emu.db")
    e = emu_factory(args(log, 0.15, ["--event-source",
                                     "pc:proc,BatchSize=2,ParallelizationFactor=3"]), db=db)
    env = Env(e, log)
    env.stream("pc")
    seq_of = {}
    # key-0's lane is slow, so other lanes acknowledge records above the
    # checkpoint: those may be redelivered, nothing below it may.
    names = sorted(d for ds in put_keys(env, "pc", 60, 20, slow_key=0).values() for d in ds)
    # Stop while key-0's second batch (record 20) is still running and
    # other lanes of its chunk (records 18..23) are already acknowledged.
    env.wait(lambda c: any(d in ("r-018", "r-019", "r-021", "r-022", "r-023")
                           for x in c for d in x["data"]), timeout=20)
    time.sleep(0.15)
    t_stop = time.time()
    assert e.stop() == 0
    before = env.calls()
    e.start()
    env = Env(e, log)
    env.wait(lambda c: len(set(env.delivered_ok())) == 60, timeout=30)
    time.sleep(0.5)
    calls = env.calls()
    for c in calls:
        for s, d in zip(c["seqs"], c["data"]):
            seq_of[d] = int(s)
    assert sorted(set(env.delivered_ok())) == names                     # none lost
    # Acknowledged before the stop (with a margin for the reply to reach emu).
    acked = {d for c in before if c["outcome"] == "ok" and c["t1"] < t_stop - 0.1
             for d in c["data"]}
    lowest_unacked = min(seq_of[d] for d in seq_of if d not in acked)
    counts = {}
    for d in env.delivered_ok():
        counts[d] = counts.get(d, 0) + 1
    dups = [d for d, n in counts.items() if n > 1]
    assert all(seq_of[d] >= lowest_unacked for d in dups), (dups, lowest_unacked)
    print("acked before stop %d, redelivered %d" % (len(acked), len(dups)))
    # Once everything is acknowledged, a restart redelivers nothing.
    n = len(env.calls())
    assert e.stop() == 0
    e.start()
    env = Env(e, log)
    env.put("pc", ["last"], key="key-0")
    env.wait(lambda c: env.delivered_ok()[-1:] == ["last"], timeout=10)
    time.sleep(0.5)
    assert [x["data"] for x in env.calls()[n:]] == [["last"]]
