#!/usr/bin/python3
"""handler_cpu.py - ./handler's CPU per Kinesis record, one or more binaries side by side.

Starts `emu --in-memory --quiet` on a free port, creates the handler's table, builds one Lambda
Kinesis event of HCPU_RECORDS records from fixtures/records/*.json (the pretty-printed files,
base64 as the ESM sends them) and runs each handler binary in command mode (`handler < event`)
HCPU_RUNS times, with fresh sequence numbers each run (new items, as in the pipeline).  Binaries
alternate run by run so that a noisy, shared machine hurts all of them alike.

Reported per binary: handler user+sys CPU per record (getrusage of the reaped child), net of a
process's fixed cost (loading, libcurl/OpenSSL init: measured each run with an event of no
records, and reported too), the gross figure, wall time per invocation, medians over the runs, and
the ratio of the net figure to the first binary's.  The net figure is what a long-running Lambda
runtime pays per record, as in tests/bench/pipeline.py.

Before timing, every binary handles the same events into its own table and the runs are compared:
stdout, the log lines (time and ms left out) and every stored item (Scan, raw JSON) must be equal,
else the script says so and exits 1.  The events are the benchmark's and one of odd records (keys
spelled with escapes, duplicate keys, exponents, long or huge numbers, deep nesting, bad UTF-8, a
long eventID, random byte edits), so skip reasons (jansson's messages) are compared too.  That is
a check of "same behaviour", not a test suite.

Environment (defaults in brackets):
  HANDLER_BIN [./handler]  comma list of binaries, e.g. /tmp/handler.base,./handler
  HCPU_RUNS [30]           invocations per binary      HCPU_RECORDS [100]  records per event
  HCPU_MODE [sighting]     DEDUP_MODE                  EMU_BIN [./emu]
"""
import base64
import glob
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        sys.exit("handler_cpu: %s must be an integer" % name)


RUNS = max(1, env_int("HCPU_RUNS", 30))
RECORDS = max(1, env_int("HCPU_RECORDS", 100))
MODE = os.environ.get("HCPU_MODE", "sighting")
EMU_BIN = os.path.abspath(os.environ.get("EMU_BIN", os.path.join(ROOT, "emu")))
BINS = [os.path.abspath(b) for b in os.environ.get("HANDLER_BIN", os.path.join(ROOT, "handler")).split(",") if b]
SHARD = "shardId-000000000000"
STREAM_ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/faces-stream"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ddb(endpoint, op, body):
    req = urllib.request.Request(endpoint + "/", data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810." + op,
        "Authorization": "AWS4-HMAC-SHA256 Credential=bench/20240101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def make_table(endpoint, name):
    ddb(endpoint, "CreateTable", {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]})


def scan(endpoint, name):
    items, kw = {}, {}
    while True:
        r = ddb(endpoint, "Scan", dict(TableName=name, **kw))
        for it in r["Items"]:
            items[it["id"]["S"]] = it
        if "LastEvaluatedKey" not in r:
            return items
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]


def make_event(datas, run):
    recs = []
    for i in range(RECORDS):
        seq = "4968058997698501457995812764495627739984%08d%08d" % (run, i)
        recs.append({
            "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "pk-%d" % (i % 7),
                        "sequenceNumber": seq, "data": datas[i % len(datas)],
                        "approximateArrivalTimestamp": 1717430405.768 + run + i / 1000.0},
            "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": SHARD + ":" + seq,
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": "arn:aws:iam::000000000000:role/face-ingest",
            "awsRegion": "us-east-1", "eventSourceARN": STREAM_ARN})
    return json.dumps({"Records": recs}).encode()


def odd_event(datas):
    """Records that take the unusual paths, plus seeded random mutations of a fixture."""
    import random
    base = base64.b64decode(datas[0])
    doc = json.loads(base)
    variants = [
        base.replace(b'"Similarity"', b'"Similarit\\u0079"', 1),
        base.replace(b'"FaceId"', b'"F\\u0061ceId"', 1),
        base.replace(b'{', b'{"FaceId": "dup", ', 1),
        base.replace(b'"Similarity": 97.84118', b'"Similarity": 9.784118E+1', 1),
        base.replace(b'"Similarity": 97.84118', b'"Similarity": 97.841180000000000000000000000000000000000000000000000000000000000000', 1),
        base.replace(b'"Similarity": 97.84118', b'"Similarity": 97841180000000000000000000000000000000000000000', 1),
        base.replace(b'"Similarity": 97.84118', b'"Similarity": 1e400', 1),
        base.replace(b'"Confidence": 99.99912', b'"Confidence": 99', 1),
        base.replace(b'{', b'{"deep": ' + b'[' * 600 + b']' * 600 + b', ', 1),
        base.replace(b'alice.jpg', b'al\\u00efce\\ud83d\\ude00 \\"q\\" \\t.jpg', 1),
        base.replace(b'alice.jpg', b'al\xc3ce.jpg', 1),
        base.replace(b'"FaceSearchResponse"', b'"FaceSearchRespons\\u0065"', 1),
        json.dumps(doc).encode(), json.dumps(doc, ensure_ascii=False).encode() + b"x",
        b"[]", b"{}", b"null", b"", b'{"FaceSearchResponse": [1]}',
        b'{"FaceSearchResponse": [{"MatchedFaces": [{"Face": {"FaceId": "x"}, "Similarity": "9"}]}]}',
    ]
    rnd = random.Random(11)
    for _ in range(300):
        b = bytearray(base)
        for _ in range(rnd.randint(1, 3)):
            b[rnd.randrange(len(b))] = rnd.choice(b'{}[]",:0-.eE9aZ \\\x80\xff')
        variants.append(bytes(b[:rnd.randrange(len(b))] if rnd.random() < 0.2 else b))
    recs = []
    for i, v in enumerate(variants):
        seq = "49680589976985014579958127644956277399843299%012d" % i
        eid = ("shardId-" + "\u00e9" * 200 if i == 3 else SHARD) + ":" + seq
        recs.append({"kinesis": {"sequenceNumber": seq, "partitionKey": "p", "data": base64.b64encode(v).decode(),
                                 "approximateArrivalTimestamp": 1717430405.7 + i / 7.0},
                     "eventID": eid, "eventSourceARN": STREAM_ARN})
    return json.dumps({"Records": recs}, ensure_ascii=False).encode()


def run_handler(binary, endpoint, table, event):
    env = dict(os.environ, AWS_ENDPOINT_URL_DYNAMODB=endpoint, TABLE_NAME=table, DEDUP_MODE=MODE,
               AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    env.pop("AWS_LAMBDA_RUNTIME_API", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([binary], input=event, capture_output=True, env=env, timeout=120)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if p.returncode != 0:
        sys.exit("handler_cpu: %s exited %d: %s" % (binary, p.returncode, p.stderr.decode()[-2000:]))
    return cpu, wall, p.stdout, p.stderr


def name(b):
    return os.path.relpath(b, ROOT) if b.startswith(ROOT + os.sep) else b


def normal_logs(stderr):
    out = []
    for line in stderr.decode().splitlines():
        try:
            d = json.loads(line)
        except ValueError:
            out.append(line)
            continue
        d.pop("time", None)
        d.pop("ms", None)
        out.append(d)
    return out


def check_same(endpoint, datas):
    """Every binary on the same events into its own table: same output, logs and items."""
    events = [make_event(datas, 0), odd_event(datas)]
    ref = None
    for k, b in enumerate(BINS):
        table = "faces_check_%d" % k
        make_table(endpoint, table)
        outs = [run_handler(b, endpoint, table, e)[2:] for e in events]
        got = ([o for o, _ in outs], [normal_logs(e) for _, e in outs], scan(endpoint, table))
        if ref is None:
            ref = got
            print("check: %d items from %s" % (len(got[2]), name(b)))
        elif got != ref:
            what = [n for n, x, y in zip(("stdout", "logs", "items"), got, ref) if x != y]
            sys.exit("handler_cpu: %s differs from %s in %s" % (b, BINS[0], ", ".join(what)))
    if len(BINS) > 1:
        print("check: all %d binaries give the same stdout, logs and items" % len(BINS))


def main():
    for b in [EMU_BIN] + BINS:
        if not os.access(b, os.X_OK):
            sys.exit("handler_cpu: %s is not an executable (make emu handler?)" % b)
    files = sorted(glob.glob(os.path.join(ROOT, "fixtures", "records", "*.json")))
    datas = []
    for f in files:
        with open(f, "rb") as fh:
            datas.append(base64.b64encode(fh.read()).decode())
    port = free_port()
    endpoint = "http://127.0.0.1:%d" % port
    emu = subprocess.Popen([EMU_BIN, "--in-memory", "--port", str(port), "--quiet"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 15
        while True:
            try:
                urllib.request.urlopen(endpoint + "/health", timeout=1).read()
                break
            except OSError:
                if time.time() > deadline or emu.poll() is not None:
                    sys.exit("handler_cpu: emu did not start")
                time.sleep(0.05)
        make_table(endpoint, "faces")
        check_same(endpoint, datas)
        cpu = {b: [] for b in BINS}
        fixed = {b: [] for b in BINS}
        wall = {b: [] for b in BINS}
        empty = b'{"Records":[]}'
        run_handler(BINS[0], endpoint, "faces", make_event(datas, 1))  # warm-up
        for r in range(RUNS):
            for k, b in enumerate(BINS):
                c, w, _, _ = run_handler(b, endpoint, "faces", make_event(datas, 2 + r * len(BINS) + k))
                cpu[b].append(c)
                wall[b].append(w)
                fixed[b].append(run_handler(b, endpoint, "faces", empty)[0])
    finally:
        emu.terminate()
        emu.wait(timeout=10)
    print("%d runs x %d records per binary, DEDUP_MODE=%s, %d record files"
          % (RUNS, RECORDS, MODE, len(files)))
    print("%-24s %11s %12s %12s %12s %8s" % ("binary", "net us/rec", "gross us/rec", "fixed ms/inv",
                                              "wall ms/inv", "vs 1st"))
    net = {b: [(c - f) / RECORDS * 1e6 for c, f in zip(cpu[b], fixed[b])] for b in BINS}
    base = statistics.median(net[BINS[0]])
    for b in BINS:
        med = statistics.median(net[b])
        print("%-24s %11.1f %12.1f %12.2f %12.2f %7.2fx" % (
            name(b), med, statistics.median(cpu[b]) / RECORDS * 1e6, statistics.median(fixed[b]) * 1e3,
            statistics.median(wall[b]) * 1e3, base / med if med > 0 else 0.0))


if __name__ == "__main__":
    main()
