#!/usr/bin/env python3
"""A tiny Lambda custom runtime (stdlib only) for emu's end-to-end tests.

Speaks the Runtime API exactly as a provided.al2023 bootstrap does: it builds
http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/... by concatenation.

Plain events (Invoke):
  {"sleep": S}        sleep S seconds, then answer like echo
  {"fail": "msg"}     report a function error (errorType "TestError")
  {"exit": N}         exit the process with status N mid-invoke
  {"big": N}          answer with a string of N bytes
  anything else       echo: {"event":..., "env":{...}, "headers":{...}}
Kinesis events (Records): each record's decoded data may contain
  FAIL                the whole batch fails while the record is present
  FAILONCE            fail the batch the first time this record is seen
  PARTIAL             report the record in batchItemFailures (once, with
                      PARTIALONCE; always with PARTIAL)
With $RUNTIME_SLEEP (seconds), every Kinesis invocation sleeps that long, and
four times as long when a record's data contains SLOW.
Every invocation is appended as one JSON line to $RUNTIME_LOG (if set):
  {"pid", "request_id", "seqs": [...], "data": [...], "keys": [...],
   "outcome", "t0", "t1"} (t0/t1: start and end, epoch seconds).
"""
import base64
import json
import os
import sys
import time
import urllib.request

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
LOG = os.environ.get("RUNTIME_LOG")
seen_once = set()


def post(url, body, headers=None):
    req = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status


def log(entry):
    if LOG:
        with open(LOG, "a") as f:
            f.write(json.dumps(entry) + "\n")


def kinesis(event, rid):
    t0 = time.time()
    slow = any(b"SLOW" in base64.b64decode(r["kinesis"]["data"]) for r in event["Records"])
    time.sleep(float(os.environ.get("RUNTIME_SLEEP", "0")) * (4 if slow else 1))
    seqs, datas, failures, fail = [], [], [], False
    for r in event["Records"]:
        seq = r["kinesis"]["sequenceNumber"]
        data = base64.b64decode(r["kinesis"]["data"]).decode("utf-8", "replace")
        seqs.append(seq)
        datas.append(data)
        if "FAILONCE" in data:
            if seq not in seen_once:
                seen_once.add(seq)
                fail = True
        elif "FAIL" in data:
            fail = True
        if "PARTIALONCE" in data:
            if seq not in seen_once:
                seen_once.add(seq)
                failures.append({"itemIdentifier": seq})
        elif "PARTIAL" in data:
            failures.append({"itemIdentifier": seq})
    outcome = "error" if fail else ("partial" if failures else "ok")
    log({"pid": os.getpid(), "request_id": rid, "seqs": seqs, "data": datas,
         "keys": [r["kinesis"]["partitionKey"] for r in event["Records"]],
         "outcome": outcome, "event": event, "t0": t0, "t1": time.time()})
    if fail:
        return None, {"errorMessage": "record failed", "errorType": "TestError"}
    return {"batchItemFailures": failures}, None


def handle(event, rid, headers):
    if isinstance(event, dict) and "Records" in event:
        return kinesis(event, rid)
    log({"pid": os.getpid(), "request_id": rid, "event": event})
    if isinstance(event, dict):
        if "sleep" in event:
            time.sleep(event["sleep"])
        if "fail" in event:
            return None, {"errorMessage": event["fail"], "errorType": "TestError",
                          "stackTrace": []}
        if "exit" in event:
            sys.exit(event["exit"])
        if "big" in event:
            return "x" * event["big"], None
    env = {k: v for k, v in os.environ.items()
           if k.startswith("AWS_") or k in ("_HANDLER", "TEST_VAR")}
    return {"event": event, "env": env, "headers": headers, "pid": os.getpid()}, None


def main():
    while True:
        with urllib.request.urlopen(API + "next", timeout=None) as r:
            rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
            headers = {k: v for k, v in r.headers.items() if k.startswith("Lambda-Runtime")}
            event = json.loads(r.read() or b"null")
        result, error = handle(event, rid, headers)
        if error is not None:
            post(API + rid + "/error", json.dumps(error).encode(),
                 {"Lambda-Runtime-Function-Error-Type": error["errorType"],
                  "Content-Type": "application/vnd.aws.lambda.error+json"})
        else:
            post(API + rid + "/response", json.dumps(result).encode())


if __name__ == "__main__":
    main()
