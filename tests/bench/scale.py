#!/usr/bin/python3
"""scale.py - does emu's cost grow with the table?  (issue 6 item 3)

Owns: one emu on disk (temp dir), table scale_items grown in steps to each
size of SCALE_SIZES by scale.lua's loader (BatchWriteItem, wrk), and at each
size PutItem and GetItem throughput and Query (20 items) latency, all with
wrk (scale.lua), SCALE_RUNS runs of SCALE_DURATION seconds, medians.  The last
column compares each size with the first: the goal is no scenario slower than
1.25x between 10^4 and 10^7 items.

Environment: SCALE_SIZES [10000,1000000] (10^7 takes ~15 min and ~5 GB here:
opt in with SCALE_SIZES=10000,1000000,10000000), SCALE_DURATION [5],
SCALE_RUNS [3], SCALE_SERVERS [emu] (also dynalite-mem, dynalite-disk), SCALE_WARM [1]:
sync, then read the database files once after each load (0 = measure with
whatever the page cache kept, during writeback),
BENCH_THREADS, BENCH_CONNECTIONS, EMU_BIN.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import sys
import json
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
import setup as bsetup  # noqa: E402

SIZES = [int(x) for x in os.environ.get("SCALE_SIZES", "10000,1000000").split(",") if x]
DURATION = bench.env_num("SCALE_DURATION", 5)
RUNS = max(1, bench.env_num("SCALE_RUNS", 3))
SERVERS = os.environ.get("SCALE_SERVERS", "emu").split(",")
WARM = os.environ.get("SCALE_WARM", "1") != "0"
LOAD_TIMEOUT = 3 * 3600


def wrk(srv, args, seconds, timeout, marks=None):
    """One wrk run of scale.lua.  With marks (a folder), end wrk with SIGINT as
    soon as every thread has left its mark there (the loader's "done")."""
    cmd = ["wrk", "-t%d" % bench.THREADS, "-c%d" % bench.CONNS, "-d%ds" % seconds,
           "--timeout", "10s", "-s", "scale.lua", srv.endpoint + "/", "--",
           "threads=%d" % bench.THREADS] + args + (["marks=" + marks] if marks else [])
    p = subprocess.Popen(cmd, cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    interrupted = False
    while p.poll() is None and time.monotonic() < deadline:
        if marks and not interrupted and len(os.listdir(marks)) >= bench.THREADS:
            p.send_signal(signal.SIGINT)  # wrk prints its results on SIGINT
            interrupted = True
        time.sleep(0.05)
    if p.poll() is None:
        p.kill()
        p.communicate()
        return {"fail": "wrk timed out"}
    stdout, stderr = p.communicate()
    for line in stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line[len("BENCH_RESULT "):])
    return {"fail": "wrk: " + (stderr or stdout).decode("utf-8", "replace")[-300:]}


def load(srv, frm, to):
    """Grow the table from frm to to items; returns items/s (raises on failure)."""
    t0 = time.monotonic()
    secs = min(LOAD_TIMEOUT, 60 + (to - frm) // 500)  # at least 500 items/s, or give up
    marks = tempfile.mkdtemp(prefix="scale-marks-")
    try:
        r = wrk(srv, ["mode=load", "from=%d" % frm, "to=%d" % to], secs, secs + 60, marks)
    finally:
        shutil.rmtree(marks, ignore_errors=True)
    if "fail" in r or bench.run_errors(r) or r["items"] != to - frm:
        raise RuntimeError("load %d..%d: %s" % (frm, to, r.get("fail") or r.get("first_error") or
                                                "%d items acknowledged" % r["items"]))
    ddb = bsetup.client("dynamodb", srv.endpoint)
    for i in (frm, to - 1):
        key = {"pk": {"S": "p-%08d" % (i // 20)}, "sk": {"S": "s-%02d" % (i % 20)}}
        if "Item" not in ddb.get_item(TableName="scale_items", Key=key):
            raise RuntimeError("load %d..%d: item %d missing" % (frm, to, i))
    return (to - frm) / (time.monotonic() - t0)


def warm(path):
    """Write back what the load left dirty, then read every file under path
    once, so the measurement sees the page cache a long-running server
    has, not the disk or the kernel's writeback: this machine's page cache
    does not keep what a load of 10^7 items wrote (GetItem at 10^7 ran at
    p50 5.6 ms from disk, 1.1 ms once warm), and measured while gigabytes
    were still being written back, GetItem at 10^7 ran at half the rate it
    had a few minutes later on the same file."""
    os.sync()
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                with open(os.path.join(dirpath, f), "rb") as fh:
                    while fh.read(1 << 20):
                        pass
            except OSError:
                pass


def du(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, f))
            except OSError:
                pass
    return total


def main():
    servers = [s for s in bench.make_servers() if s.name in SERVERS and "ddb" in s.protos]
    rows = []
    for srv in servers:
        if srv.error:
            print("scale: %s skipped: %s" % (srv.name, srv.error))
            continue
        try:
            srv.start()
            bsetup._create_table(bsetup.client("dynamodb", srv.endpoint), "scale_items",
                                 [("pk", "HASH"), ("sk", "RANGE")])
            have = 0
            for size in SIZES:
                rate = load(srv, have, size)
                have = size
                print("scale: %s loaded %d items (%.0f items/s)" % (srv.name, size, rate),
                      flush=True)
                if WARM:
                    warm(srv.tmp)
                res = {}
                for mode in ("put", "get", "query"):
                    runs = []
                    for r in range(RUNS):
                        tag = "s%d%s%d%x" % (size, mode, r, int(time.time() * 1000) & 0xfffff)
                        runs.append(wrk(srv, ["mode=" + mode, "n=%d" % size, "tag=" + tag],
                                        DURATION, DURATION + 30))
                    res[mode] = bench.summarize(runs)
                rows.append((srv.name, size, rate, du(srv.tmp), res))
        except Exception as e:  # report and go on with the next server
            print("scale: %s FAILED: %s: %s %s" % (srv.name, type(e).__name__, e, srv.log_tail()))
        finally:
            srv.stop()

    print()
    print("== cost against table size (wrk %d threads, %d connections, %d s x %d runs, median%s)"
          % (bench.THREADS, bench.CONNS, DURATION, RUNS,
             "; files read once before measuring" if WARM else "; cold page cache"))
    hdr = "%-13s %10s %9s %9s %10s %10s %8s %8s %10s %8s %8s  %s" % (
        "server", "items", "disk MB", "load/s", "PutItem/s", "GetItem/s", "get p50", "get p99",
        "Query/s", "q p50", "q p99", "vs first size (put/get/query req/s)")
    print(hdr)
    print("-" * len(hdr))
    first = {}
    for name, size, rate, disk, res in rows:
        f = first.setdefault(name, res)
        vs = "/".join("%.2fx" % (res[m]["req_s"] / f[m]["req_s"])
                      if res[m].get("req_s") and f[m].get("req_s") else "-"
                      for m in ("put", "get", "query"))
        bad = [m for m in res if not res[m]["valid"]]
        n = bench.fmt_num
        print("%-13s %10s %9.0f %9s %10s %10s %8s %8s %10s %8s %8s  %s%s" % (
            name, n(size), disk / 1e6, n(rate), n(res["put"].get("req_s")),
            n(res["get"].get("req_s")), n(res["get"].get("p50_ms"), 2),
            n(res["get"].get("p99_ms"), 2), n(res["query"].get("req_s")),
            n(res["query"].get("p50_ms"), 2), n(res["query"].get("p99_ms"), 2), vs,
            ("  INVALID: " + ",".join(bad) + " " +
             str(next(res[m].get("first_error") for m in bad))[:80]) if bad else ""))


if __name__ == "__main__":
    # SIGTERM (timeout, CI) unwinds like an exception, so servers are stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
