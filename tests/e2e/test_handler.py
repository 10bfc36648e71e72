"""./handler against a live emu (DynamoDB API) on the fixtures, through real HTTP + SigV4.

Expectations are computed here from the fixture bytes (records decoded with Python's json,
numbers kept as text), never from the handler's output.  The Runtime API loop is tested
against a small fake Runtime API served by this file.
"""
import base64
import hashlib
import http.server
import json
import os
import socket
import subprocess
import threading
from decimal import Decimal

import pytest

from conftest import HANDLER_BIN, ROOT

FIX = os.path.join(ROOT, "fixtures")
TABLE = "faces"


def event_path(name):
    return os.path.join(FIX, "events", name + ".json")


def load_event(name):
    with open(event_path(name), encoding="utf-8") as f:
        return json.load(f)


def make_table(ddb, name=TABLE):
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")


def run_handler(endpoint, event=None, path=None, mode="sighting", stdin=False, **env):
    e = dict(os.environ, AWS_ENDPOINT_URL_DYNAMODB=endpoint, TABLE_NAME=TABLE, DEDUP_MODE=mode,
             AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
             DDB_BACKOFF_BASE_MS="5", DDB_BACKOFF_MAX_MS="50")
    e.pop("AWS_LAMBDA_RUNTIME_API", None)
    e.update({k: str(v) for k, v in env.items()})
    data = json.dumps(event).encode() if event is not None else None
    if stdin:
        with open(path, "rb") as f:
            data = f.read()
        args = [HANDLER_BIN]
    elif data is not None:
        args = [HANDLER_BIN]
    else:
        args = [HANDLER_BIN, "--event", path]
    p = subprocess.run(args, input=data, capture_output=True, env=e, timeout=120)
    out = json.loads(p.stdout) if p.stdout.strip() else None
    logs = [json.loads(line) for line in p.stderr.decode().splitlines() if line.startswith("{")]
    return p.returncode, out, logs


def scan(ddb, table=TABLE):
    items, kw = {}, {}
    while True:
        r = ddb.scan(TableName=table, **kw)
        for it in r["Items"]:
            items[it["id"]["S"]] = it
        if "LastEvaluatedKey" not in r:
            return items
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]


def expected_sightings(event):
    """id -> expected attributes, derived from the documented item model."""
    out = {}
    for rec in event.get("Records", []):
        k = rec["kinesis"]
        try:
            doc = json.loads(base64.b64decode(k["data"], validate=True), parse_float=str, parse_int=str)
            faces = doc["FaceSearchResponse"]
            assert isinstance(faces, list)
        except Exception:
            continue
        kv = doc.get("InputInformation", {}).get("KinesisVideo", {})
        for fi, face in enumerate(faces):
            for mi, m in enumerate(face["MatchedFaces"]):
                src = "v1\n%s\n%s\n%d\n%d" % (rec["eventSourceARN"], k["sequenceNumber"], fi, mi)
                sid = hashlib.sha256(src.encode()).hexdigest()[:32]
                want = {"FaceId": {"S": m["Face"]["FaceId"]}, "ImageId": {"S": m["Face"]["ImageId"]},
                        "Similarity": {"N": m["Similarity"]}, "Confidence": {"N": m["Face"]["Confidence"]},
                        "SequenceNumber": {"S": k["sequenceNumber"]},
                        "ShardId": {"S": rec["eventID"].split(":")[0]},
                        "EventSourceArn": {"S": rec["eventSourceARN"]},
                        "VideoStreamArn": {"S": kv["StreamArn"]},
                        "FragmentNumber": {"S": kv["FragmentNumber"]},
                        "ProducerTimestamp": {"N": kv["ProducerTimestamp"]},
                        "DetectedFaceConfidence": {"N": face["DetectedFace"]["Confidence"]},
                        "FaceIndex": {"N": str(fi)}, "MatchIndex": {"N": str(mi)},
                        "ItemType": {"S": "sighting"}}
                if "ExternalImageId" in m["Face"]:
                    want["ExternalImageId"] = {"S": m["Face"]["ExternalImageId"]}
                frame = Decimal(kv["ProducerTimestamp"]) + Decimal(kv["FrameOffsetInSeconds"])
                out[sid] = (want, frame)
    return out


def same_value(got, want):
    if "N" in want:
        return "N" in got and Decimal(got["N"]) == Decimal(want["N"])
    return got == want


def assert_items(ddb, event, table=TABLE):
    want = expected_sightings(event)
    got = scan(ddb, table)
    assert set(got) == set(want)
    for sid, (attrs, frame) in want.items():
        for name, value in attrs.items():
            assert same_value(got[sid].get(name, {}), value), (sid, name, got[sid].get(name), value)
        assert Decimal(got[sid]["FrameTimestamp"]["N"]) == frame
        if "ExternalImageId" not in attrs:
            assert "ExternalImageId" not in got[sid]
    return got


GOOD = ["one-face-one-match", "several-faces", "several-matches", "no-faces", "face-no-matches",
        "no-external-image-id", "non-ascii-external-image-id", "formats-md-example", "trailing-zeros"]


@pytest.mark.parametrize("name", GOOD)
def test_fixture_writes_exactly_the_expected_items(emu, ddb, name):
    make_table(ddb)
    rc, out, logs = run_handler(emu.endpoint, path=event_path(name))
    assert rc == 0 and out == {"batchItemFailures": []}
    got = assert_items(ddb, load_event(name))
    done = [l for l in logs if l["msg"] == "batch done"][-1]
    assert done["written"] == len(got) and done["skipped"] == 0


def test_exact_number_text_97_84118(emu, ddb):
    make_table(ddb)
    assert run_handler(emu.endpoint, path=event_path("formats-md-example"))[0] == 0
    sims = sorted(it["Similarity"]["N"] for it in scan(ddb).values())
    assert sims == ["84.11873", "97.84118"]


def test_same_fixture_twice_leaves_table_unchanged(emu, ddb):
    make_table(ddb)
    assert run_handler(emu.endpoint, path=event_path("batch-500"))[0] == 0
    first = scan(ddb)
    assert len(first) == 802
    rc, out, _ = run_handler(emu.endpoint, path=event_path("batch-500"))
    assert rc == 0 and out == {"batchItemFailures": []}
    assert scan(ddb) == first
    assert_items(ddb, load_event("batch-500"))


def test_stdin_equals_event_file(emu, ddb):
    make_table(ddb)
    rc, out, _ = run_handler(emu.endpoint, path=event_path("several-faces"), stdin=True)
    assert rc == 0 and out == {"batchItemFailures": []}
    assert_items(ddb, load_event("several-faces"))


def test_poison_records_skipped_rest_written(emu, ddb):
    make_table(ddb)
    rc, out, logs = run_handler(emu.endpoint, path=event_path("mixed-poison"))
    assert rc == 0 and out == {"batchItemFailures": []}
    assert len(assert_items(ddb, load_event("mixed-poison"))) == 4
    skipped = [l for l in logs if l["msg"] == "record skipped"]
    assert [l["record"] for l in skipped] == [1, 3]


@pytest.mark.parametrize("name,skipped", [("bad-base64", 1), ("non-json-data", 1),
                                          ("wrong-shape", 8), ("empty-batch", 0)])
def test_bad_fixtures_write_nothing(emu, ddb, name, skipped):
    make_table(ddb)
    rc, out, logs = run_handler(emu.endpoint, path=event_path(name))
    assert rc == 0 and out == {"batchItemFailures": []}
    assert scan(ddb) == {}
    assert [l for l in logs if l["msg"] == "batch done"][-1]["skipped"] == skipped


def test_missing_records_is_a_function_error(emu, ddb):
    make_table(ddb)
    rc, out, _ = run_handler(emu.endpoint, path=event_path("missing-records"))
    assert rc == 1 and out["errorType"] == "Handler.InvalidEvent"


def test_missing_table_is_a_function_error(emu, ddb):
    rc, out, _ = run_handler(emu.endpoint, path=event_path("one-face-one-match"))
    assert rc == 1 and out["errorType"] == "DynamoDB.Fatal"
    assert "ResourceNotFoundException" in out["errorMessage"]


def test_first_seen_mode(emu, ddb):
    make_table(ddb)
    ev = load_event("batch-500")
    rc, out, _ = run_handler(emu.endpoint, path=event_path("batch-500"), mode="first-seen")
    assert rc == 0 and out == {"batchItemFailures": []}
    got = scan(ddb)
    people = {}
    for sid, (attrs, _) in sorted(expected_sightings(ev).items(),
                                  key=lambda kv: (int(kv[1][0]["SequenceNumber"]["S"]),
                                                  int(kv[1][0]["FaceIndex"]["N"]),
                                                  int(kv[1][0]["MatchIndex"]["N"]))):
        people.setdefault("person#" + attrs["ExternalImageId"]["S"], (sid, attrs))
    assert set(got) == set(people)
    for key, (sid, attrs) in people.items():
        assert got[key]["SightingId"]["S"] == sid
        assert got[key]["ItemType"]["S"] == "first-seen"
        assert same_value(got[key]["Similarity"], attrs["Similarity"])
    rc, out, _ = run_handler(emu.endpoint, path=event_path("batch-500"), mode="first-seen")
    assert rc == 0 and scan(ddb) == got


def test_summary_mode(emu, ddb):
    make_table(ddb)
    ev = load_event("batch-500")
    rc, out, _ = run_handler(emu.endpoint, path=event_path("batch-500"), mode="summary")
    assert rc == 0 and out == {"batchItemFailures": []}
    got = scan(ddb)
    agg = {}
    for sid, (attrs, frame) in expected_sightings(ev).items():
        a = agg.setdefault("person#" + attrs["ExternalImageId"]["S"], {"n": 0, "best": None, "times": []})
        a["n"] += 1
        a["times"].append(frame)
        sim = Decimal(attrs["Similarity"]["N"])
        a["best"] = sim if a["best"] is None else max(a["best"], sim)
    assert set(got) == set(agg)
    for key, a in agg.items():
        it = got[key]
        assert it["ItemType"]["S"] == "summary"
        assert int(it["SightingCount"]["N"]) == a["n"]
        assert Decimal(it["BestSimilarity"]["N"]) == a["best"]
        assert Decimal(it["FirstSeen"]["N"]) == min(a["times"])
        assert Decimal(it["LastSeen"]["N"]) == max(a["times"])
    # Lambda delivers at least once: the same batch again changes nothing.
    rc, out, _ = run_handler(emu.endpoint, path=event_path("batch-500"), mode="summary")
    assert rc == 0 and out == {"batchItemFailures": []}
    assert scan(ddb) == got


class TripProxy:
    """TCP proxy to emu that stops emu when the handler sends request number `trip_at`
    (counted by x-amz-target headers), then refuses connections: "emu stopped mid-batch"."""

    def __init__(self, upstream_port, trip_at, on_trip):
        self.upstream, self.trip_at, self.on_trip = upstream_port, trip_at, on_trip
        self.count, self.tripped = 0, False
        self.lock = threading.Lock()
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(8)
        self.endpoint = "http://127.0.0.1:%d" % self.srv.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            if self.tripped:
                c.close()
                continue
            u = socket.create_connection(("127.0.0.1", self.upstream))
            threading.Thread(target=self.pump, args=(c, u, True), daemon=True).start()
            threading.Thread(target=self.pump, args=(u, c, False), daemon=True).start()

    def pump(self, src, dst, requests):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if requests:
                    with self.lock:
                        self.count += data.lower().count(b"x-amz-target:")
                        if self.count >= self.trip_at and not self.tripped:
                            self.tripped = True
                            self.on_trip()
                            self.srv.close()
                            break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.close()
            except OSError:
                pass


def retry_like_lambda(ev, out):
    """The records Lambda re-sends after a partial response: from the lowest reported one."""
    ids = [f["itemIdentifier"] for f in out["batchItemFailures"]]
    seqs = [r["kinesis"]["sequenceNumber"] for r in ev["Records"]]
    start = min(seqs.index(i) for i in ids)
    return {"Records": ev["Records"][start:]}, start


@pytest.mark.parametrize("trip_at", [1, 6])
def test_emu_stopped_mid_batch_nothing_lost(emu_factory, tmp_path, trip_at):
    db = str(tmp_path / "emu.db")
    e = emu_factory(db=db)
    ddb = e.client("dynamodb")
    make_table(ddb)
    ev = load_event("batch-500")
    proxy = TripProxy(e.port, trip_at, lambda: e.stop())
    rc, out, logs = run_handler(proxy.endpoint, path=event_path("batch-500"),
                                DDB_MAX_ATTEMPTS=3, DDB_TIMEOUT_MS=2000)
    e.start()                       # same port, same database file
    ddb = e.client("dynamodb")
    stored = scan(ddb)
    want = expected_sightings(ev)
    if trip_at == 1:
        # nothing could be written: a function error, so Lambda checkpoints nothing
        assert rc == 1 and out["errorType"] == "DynamoDB.Unavailable"
        assert stored == {}
        retry, start = ev, 0
    else:
        # some chunks landed: every record before the lowest failure is fully stored
        assert rc == 0 and out["batchItemFailures"], out
        retry, start = retry_like_lambda(ev, out)
        done = {r["kinesis"]["sequenceNumber"] for r in ev["Records"][:start]}
        for sid, (attrs, _) in want.items():
            if attrs["SequenceNumber"]["S"] in done:
                assert sid in stored
    rc, out, _ = run_handler(e.endpoint, event=retry)
    assert rc == 0 and out == {"batchItemFailures": []}
    assert_items(ddb, ev)            # complete, and no duplicates


class FakeRuntimeAPI(http.server.BaseHTTPRequestHandler):
    """Serves the queued events on /next, records what the runtime posts, then answers 500."""
    events, posts = [], []

    def log_message(self, *a):
        pass

    def do_GET(self):
        if self.path != "/2018-06-01/runtime/invocation/next" or not self.events:
            self.send_response(500)
            self.end_headers()
            return
        rid, body = self.events.pop(0)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", rid)
        self.send_header("Lambda-Runtime-Deadline-Ms", "9999999999999")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n)
        self.posts.append((self.path, self.headers.get("Lambda-Runtime-Function-Error-Type"),
                           json.loads(body)))
        self.send_response(202)
        self.send_header("Content-Length", "16")
        self.end_headers()
        self.wfile.write(b'{"status":"OK"} ')


def test_runtime_api_loop(emu, ddb):
    make_table(ddb)
    FakeRuntimeAPI.events = [("req-1", load_event("several-faces")),
                             ("req-2", load_event("missing-records")),
                             ("req-3", load_event("mixed-poison"))]
    FakeRuntimeAPI.posts = []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeRuntimeAPI)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    env = dict(os.environ, AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d" % srv.server_address[1],
               AWS_ENDPOINT_URL_DYNAMODB=emu.endpoint, TABLE_NAME=TABLE,
               AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1")
    p = subprocess.run([HANDLER_BIN], env=env, capture_output=True, timeout=60)
    srv.shutdown()
    assert p.returncode == 1        # the fake answered 500 on the 4th next: the runtime exits
    paths = [x[0] for x in FakeRuntimeAPI.posts]
    assert paths == ["/2018-06-01/runtime/invocation/req-1/response",
                     "/2018-06-01/runtime/invocation/req-2/error",
                     "/2018-06-01/runtime/invocation/req-3/response"]
    assert FakeRuntimeAPI.posts[0][2] == {"batchItemFailures": []}
    assert FakeRuntimeAPI.posts[1][1] == "Handler.InvalidEvent"
    assert FakeRuntimeAPI.posts[1][2]["errorType"] == "Handler.InvalidEvent"
    assert FakeRuntimeAPI.posts[1][2]["stackTrace"] == []
    assert len(scan(ddb)) == 3 + 4
    logs = [json.loads(l) for l in p.stderr.decode().splitlines() if l.startswith("{")]
    assert {l.get("requestId") for l in logs if l["msg"] == "batch done"} == {"req-1", "req-2", "req-3"}
