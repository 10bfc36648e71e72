#!/usr/bin/python3
"""pipeline.py - end-to-end throughput of the face pipeline on one emu:
generator -> Kinesis stream -> event source mapping -> ./handler -> DynamoDB.

Owns: starting emu (on disk, temp dir) with ./handler declared as a function,
the stream, table and mapping, a generator of Rekognition face-search records
(fixtures/records/*.json with matches), and the two numbers of issue 6 item 2:
  sustained matched faces/s  faces generated in PIPE_SECONDS, divided by the
                             time from the first PutRecords until the last
                             generated face is readable (so a backlog counts);
  PutRecords-to-readable     for one random record of every PIPE_SAMPLE-th PutRecords:
                             time from the PutRecords answer until GetItem
                             finds its first sighting (p50/p99).
The sighting id is the handler's: sha256("v1\\n<stream arn>\\n<seq>\\n<face>\\n<match>")[:32].

Environment: PIPE_SECONDS [10], PIPE_SHARDS [2], PIPE_GENERATORS [4] threads,
PIPE_BATCH [100] records per PutRecords, PIPE_ESM_BATCH [100] BatchSize,
PIPE_SAMPLE [1], PIPE_DRAIN [60] seconds allowed to drain, PIPE_DEDUP [sighting],
PIPE_PARALLEL [1] ParallelizationFactor (the function gets shards x factor runtimes),
PIPE_RATE [0 = as fast as the generators go] records/s offered: the delay is only
meaningful at a rate the pipeline sustains, so measure the throughput first,
then the delay with PIPE_RATE below it.  PIPE_LOG=FILE keeps emu's log (level
info: one line per request and per ESM invocation, with ms) in FILE.
EMU_BIN, HANDLER_BIN.  Every wait is bounded.
"""
import base64
import glob
import hashlib
import http.client
import json
import os
import random
import signal
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
import setup as bsetup  # noqa: E402

SECONDS = bench.env_num("PIPE_SECONDS", 10)
SHARDS = bench.env_num("PIPE_SHARDS", 2)
GENERATORS = bench.env_num("PIPE_GENERATORS", 4)
BATCH = bench.env_num("PIPE_BATCH", 100)
ESM_BATCH = bench.env_num("PIPE_ESM_BATCH", 100)
SAMPLE = max(1, bench.env_num("PIPE_SAMPLE", 1))
DRAIN = bench.env_num("PIPE_DRAIN", 60)
DEDUP = os.environ.get("PIPE_DEDUP", "sighting")
RATE = bench.env_num("PIPE_RATE", 0)
PARALLEL = bench.env_num("PIPE_PARALLEL", 1)
LOG = os.environ.get("PIPE_LOG")
HANDLER_BIN = os.path.abspath(os.environ.get("HANDLER_BIN", os.path.join(bench.ROOT, "handler")))
STREAM, TABLE, FUNC = "faces-stream", "faces", "face-ingest"


def templates():
    """(data bytes, matched faces, (face, match) of the first sighting) per fixture."""
    out = []
    for path in sorted(glob.glob(os.path.join(bench.ROOT, "fixtures", "records", "*.json"))):
        with open(path, "rb") as f:
            data = f.read()
        try:
            rec = json.loads(data)
        except ValueError:
            continue
        n, first = 0, None
        for fi, face in enumerate(rec.get("FaceSearchResponse") or []):
            for mi, m in enumerate(face.get("MatchedFaces") or []):
                if (m.get("Face") or {}).get("FaceId") and "Similarity" in m:
                    n += 1
                    first = first or (fi, mi)
        if n:
            out.append((data, n, first))
    return out


def sighting_id(arn, seq, fi, mi):
    return hashlib.sha256(("v1\n%s\n%s\n%d\n%d" % (arn, seq, fi, mi)).encode()).hexdigest()[:32]


HEADERS = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Date": "20240101T000000Z",
           "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20240101/us-east-1/kinesis/"
                            "aws4_request, SignedHeaders=host, Signature=00"}


class Run:
    def __init__(self, port, arn):
        self.port, self.arn = port, arn
        self.lock = threading.Lock()
        self.faces = self.records = self.requests = self.errors = 0
        self.pending = {}      # sighting id -> time of the PutRecords answer
        self.delays = []       # seconds
        self.last_ids = {}     # generator -> the last sighting of its last batch
        self.stop = threading.Event()
        self.gen_done = threading.Event()

    def post(self, conn, target, body):
        h = dict(HEADERS, **{"X-Amz-Target": target})
        conn.request("POST", "/", body=body, headers=h)
        r = conn.getresponse()
        return r.status, r.read()

    def generator(self, g, tpl, t_end):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        b64 = [base64.b64encode(d).decode() for d, _, _ in tpl]
        k, t_start = 0, time.monotonic()
        while time.monotonic() < t_end:
            if RATE > 0:  # pace this thread to its share of PIPE_RATE
                ahead = t_start + k / (RATE / GENERATORS) - time.monotonic()
                if ahead > 0:
                    time.sleep(min(ahead, 1.0))
                    continue
            recs, meta = [], []
            for i in range(BATCH):
                j = (k + i) % len(tpl)
                recs.append('{"Data":"%s","PartitionKey":"cam-%d-%d"}' % (b64[j], g, k + i))
                meta.append(j)
            k += BATCH
            body = '{"StreamName":"%s","Records":[%s]}' % (STREAM, ",".join(recs))
            try:
                status, resp = self.post(conn, "Kinesis_20131202.PutRecords", body)
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                continue
            now = time.monotonic()
            out = json.loads(resp) if status == 200 else {}
            entries = out.get("Records") or []
            with self.lock:
                self.requests += 1
                if status != 200 or out.get("FailedRecordCount", 1) != 0:
                    self.errors += 1
                    continue
                self.records += len(entries)
                self.faces += sum(tpl[j][1] for j in meta)
                if entries and self.requests % SAMPLE == 0:
                    # A random record of the batch: the first one would be
                    # in the first invocation and the first write chunk.
                    i = random.randrange(len(entries))
                    first = tpl[meta[i]][2]
                    self.pending[sighting_id(self.arn, entries[i]["SequenceNumber"], *first)] = now
                if entries:
                    self.last_ids[g] = sighting_id(self.arn, entries[-1]["SequenceNumber"],
                                                   *tpl[meta[len(entries) - 1]][2])
        conn.close()

    def poller(self):
        """BatchGetItem the pending sample ids every ~2 ms; record their delays."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        h = dict(HEADERS, **{"Content-Type": "application/x-amz-json-1.0",
                             "X-Amz-Target": "DynamoDB_20120810.BatchGetItem"})
        while not self.stop.is_set():
            with self.lock:
                ids = sorted(self.pending, key=self.pending.get)[:100]
            if not ids:
                time.sleep(0.002)
                continue
            body = json.dumps({"RequestItems": {TABLE: {
                "Keys": [{"id": {"S": i}} for i in ids], "ProjectionExpression": "id"}}})
            try:
                conn.request("POST", "/", body=body, headers=h)
                r = conn.getresponse()
                out = json.loads(r.read()) if r.status == 200 else {}
            except (OSError, http.client.HTTPException, ValueError):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                continue
            now = time.monotonic()
            with self.lock:
                for it in (out.get("Responses") or {}).get(TABLE, []):
                    t = self.pending.pop(it["id"]["S"], None)
                    if t is not None:
                        self.delays.append(now - t)
            time.sleep(0.002)
        conn.close()


def readable(ddb, ids):
    keys = [{"id": {"S": i}} for i in ids]
    out = ddb.batch_get_item(RequestItems={TABLE: {"Keys": keys}})
    return len(out["Responses"].get(TABLE, [])) == len(ids)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else None


def main():
    for b in (bench.EMU_BIN, HANDLER_BIN):
        if not os.access(b, os.X_OK):
            sys.exit("pipeline: %s not built" % b)
    tpl = templates()
    if not tpl:
        sys.exit("pipeline: no face-search records with matches in fixtures/records")
    srv = bench.Server("emu", ["ddb", "kin"], lambda port, tmp: [
        bench.EMU_BIN, "--host", "127.0.0.1", "--port", str(port),
        "--db", os.path.join(tmp, "emu.db")] + (["--log-level", "info"] if LOG else ["--quiet"]) + [
        "--function", FUNC + "=" + HANDLER_BIN, "--fn-timeout", "30",
        "--fn-concurrency", str(SHARDS * PARALLEL),
        "--fn-env", "TABLE_NAME=" + TABLE, "--fn-env", "DEDUP_MODE=" + DEDUP,
        "--fn-env", "AWS_ACCESS_KEY_ID=bench", "--fn-env", "AWS_SECRET_ACCESS_KEY=bench",
        "--fn-env", "LOG_LEVEL=error"], health=True)
    try:
        srv.start()
        ddb = bsetup.client("dynamodb", srv.endpoint)
        kin = bsetup.client("kinesis", srv.endpoint)
        lam = bsetup.client("lambda", srv.endpoint)
        bsetup._create_table(ddb, TABLE, [("id", "HASH")])
        bsetup._create_stream(kin, STREAM, SHARDS)
        arn = kin.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]["StreamARN"]
        lam.create_event_source_mapping(FunctionName=FUNC, EventSourceArn=arn,
                                        StartingPosition="TRIM_HORIZON", BatchSize=ESM_BATCH,
                                        ParallelizationFactor=PARALLEL)
        run = Run(srv.port, arn)
        t0 = time.monotonic()
        gens = [threading.Thread(target=run.generator, args=(g, tpl, t0 + SECONDS), daemon=True)
                for g in range(GENERATORS)]
        pol = threading.Thread(target=run.poller, daemon=True)
        for t in gens + [pol]:
            t.start()
        for t in gens:
            t.join(SECONDS + 30)
        t_gen = time.monotonic() - t0
        last = list(run.last_ids.values())
        deadline = time.monotonic() + DRAIN
        drained = None
        while time.monotonic() < deadline:
            if last and readable(ddb, last):
                drained = time.monotonic() - t0
                break
            time.sleep(0.01)
        time.sleep(0.2)
        run.stop.set()
        pol.join(5)
        d_ms = [d * 1000 for d in run.delays]
        print("pipeline: emu on disk, %d shards, ESM BatchSize %d, ParallelizationFactor %d, "
              "handler DEDUP_MODE=%s, %d generator threads x %d records per PutRecords, rate %s"
              % (SHARDS, ESM_BATCH, PARALLEL, DEDUP, GENERATORS, BATCH,
                 "%d records/s" % RATE if RATE else "unlimited"))
        print("  generated   %d records, %d matched faces in %.1f s (%.0f records/s, "
              "%.0f faces/s offered), %d PutRecords errors"
              % (run.records, run.faces, t_gen, run.records / t_gen, run.faces / t_gen, run.errors))
        if drained:
            print("  sustained   %.0f matched faces/s (all readable %.1f s after the first put)"
                  % (run.faces / drained, drained))
        else:
            print("  sustained   INVALID: last faces not readable within %d s of draining" % DRAIN)
        if d_ms:
            print("  put->readable  p50 %.1f ms  p99 %.1f ms  max %.1f ms  (%d samples, "
                  "%d never seen)" % (pct(d_ms, 50), pct(d_ms, 99), max(d_ms), len(d_ms),
                                      len(run.pending)))
        else:
            print("  put->readable  no sample became readable")
        n = 0
        kw = {"TableName": TABLE, "Select": "COUNT"}
        for _ in range(10000):
            page = ddb.scan(**kw)
            n += page["Count"]
            if "LastEvaluatedKey" not in page:
                break
            kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        print("  table       %d items, %d expected (%s)" % (
            n, run.faces, "ok" if n == run.faces else "MISMATCH"))
        if run.errors or not drained or n != run.faces:
            print("  -> INVALID run")
    except Exception as e:  # report, never hang
        print("pipeline: FAILED: %s: %s\n%s" % (type(e).__name__, e, srv.log_tail()))
        return 1
    finally:
        if LOG and srv.log:
            srv.log.flush()
            srv.log.seek(0)
            with open(LOG, "wb") as f:
                f.write(srv.log.read())
        srv.stop()
    return 0


if __name__ == "__main__":
    # SIGTERM (timeout, CI) unwinds like an exception, so servers are stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
