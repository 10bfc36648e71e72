"""`emu --config FILE`: functions and Kinesis event sources declared in a JSON
file work end to end (settings, environment, mapping, delivery, restart keeps
the checkpoint), the shipped docker/emu.example.json loads, and bad files stop
emu with exit status 2 and a message naming the problem.
"""
import json
import os
import subprocess
import time

import pytest

from conftest import EMU_BIN, ROOT
from test_lambda_esm import RUNTIME, Env


def write(tmp_path, cfg, name="emu.json"):
    p = tmp_path / name
    p.write_text(cfg if isinstance(cfg, str) else json.dumps(cfg))
    return str(p)


def test_config_file_functions_and_mapping(emu_factory, tmp_path):
    log = str(tmp_path / "calls.jsonl")
    cfg = write(tmp_path, {
        "functions": [
            {"name": "proc", "command": RUNTIME, "timeout": 7, "memory": 256,
             "concurrency": 2, "handler": "main.handler",
             "environment": {"RUNTIME_LOG": log, "TEST_VAR": "from-file"}},
            {"name": "other"}],
        "eventSources": [{"stream": "cfg", "function": "proc", "BatchSize": 3,
                          "StartingPosition": "TRIM_HORIZON", "ParallelizationFactor": 2,
                          "FunctionResponseTypes": ["ReportBatchItemFailures"]}]})
    db = str(tmp_path / "emu.db")
    e = emu_factory(["--config", cfg], db=db)
    env = Env(e, log)
    f = env.lam.get_function(FunctionName="proc")["Configuration"]
    assert (f["Timeout"], f["MemorySize"], f["Handler"]) == (7, 256, "main.handler")
    assert f["Environment"]["Variables"]["TEST_VAR"] == "from-file"
    assert env.lam.get_function(FunctionName="other")["Configuration"]["Timeout"] == 3
    out = env.lam.invoke(FunctionName="proc", Payload=b'{"hello": 1}')
    assert json.loads(out["Payload"].read())["env"]["TEST_VAR"] == "from-file"
    ms = env.lam.list_event_source_mappings()["EventSourceMappings"]
    assert len(ms) == 1 and ms[0]["BatchSize"] == 3 and ms[0]["ParallelizationFactor"] == 2
    assert ms[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    env.stream("cfg")
    env.put("cfg", ["a", "b", "c", "d"])
    env.wait(lambda c: sorted(env.delivered_ok()) == ["a", "b", "c", "d"])
    assert all(len(c["seqs"]) <= 3 for c in env.calls() if "seqs" in c)
    # Restart with the same file: the mapping is the same one, its checkpoint kept.
    assert e.stop() == 0
    e.start()
    env = Env(e, log)
    assert [m["UUID"] for m in env.lam.list_event_source_mappings()["EventSourceMappings"]] \
        == [ms[0]["UUID"]]
    env.put("cfg", ["e"])
    env.wait(lambda c: env.delivered_ok()[-1:] == ["e"])
    time.sleep(0.3)
    assert sorted(env.delivered_ok()) == ["a", "b", "c", "d", "e"]


def test_example_config_loads(emu_factory):
    e = emu_factory(["--config", os.path.join(ROOT, "docker", "emu.example.json")])
    lam = e.client("lambda")
    f = lam.get_function(FunctionName="face-ingest")["Configuration"]
    assert (f["Timeout"], f["MemorySize"]) == (30, 256)
    m = lam.list_event_source_mappings()["EventSourceMappings"]
    assert len(m) == 1 and m[0]["BatchSize"] == 100


BAD = [
    ("{", "expected near end of file"),
    ("[]", "expected {\"functions\""),
    ({"function": []}, "function"),
    ({"functions": [{"command": "x"}]}, "functions[0]"),
    ({"functions": [{"name": "f", "timeout": 0}]}, "timeout must be an integer in 1..900"),
    ({"functions": [{"name": "f", "concurrency": "2"}]}, "concurrency"),
    ({"functions": [{"name": "f", "tmeout": 3}]}, "tmeout"),
    ({"functions": [{"name": "f", "environment": {"A": 1}}]}, "environment.A"),
    ({"functions": [{"name": "bad name"}]}, "invalid name"),
    ({"functions": [{"name": "f"}, {"name": "f"}]}, "declared twice"),
    ({"eventSources": [{"stream": "s", "function": "nope"}]}, "function nope is not declared"),
    ({"functions": [{"name": "f"}], "eventSources": [{"stream": "s"}]}, "eventSources[0]"),
    ({"functions": [{"name": "f"}],
      "eventSources": [{"stream": "s", "function": "f", "BatchSize": 0}]}, "batchSize"),
    ({"functions": [{"name": "f"}],
      "eventSources": [{"stream": "s", "function": "f", "Batchsize": 5}]},
     "unknown key Batchsize"),
    ({"functions": [{"name": "f"}],
      "eventSources": [{"stream": "s", "function": "f", "ParallelizationFactor": 11}]},
     "parallelizationFactor"),
    ({"functions": [{"name": "f"}],
      "eventSources": [{"stream": "s", "function": "f", "StartingPosition": "NOW"}]},
     "StartingPosition"),
]


@pytest.mark.parametrize("cfg,msg", BAD, ids=[m for _, m in BAD])
def test_bad_config_exits_2(tmp_path, cfg, msg):
    path = write(tmp_path, cfg)
    p = subprocess.run([EMU_BIN, "--in-memory", "--port", "0", "--config", path],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 2, p.stderr
    assert msg in p.stderr and path in p.stderr or "invalid name" in msg or \
        "twice" in msg, p.stderr


def test_missing_config_file(tmp_path):
    p = subprocess.run([EMU_BIN, "--in-memory", "--config", str(tmp_path / "none.json")],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "none.json" in p.stderr and "No such file" in p.stderr
