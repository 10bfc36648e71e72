#!/usr/bin/python3
"""bench.py - emu side by side with dynalite and kinesalite, driven by wrk.

Owns the orchestration behind `make bench` (tests/bench/run installs wrk and
the peers, then execs this):
  1. startup time to the first answered request, for each server, fresh
     processes (emu: GET /health; peers: their first answer to a request);
  2. one long-lived instance of each server on a free loopback port
     (emu on disk in a temp dir, dynalite in memory and on disk, kinesalite),
     idle VmRSS, then tables/streams/preload through setup.py;
  3. every scenario on every server that speaks its protocol, interleaved
     (warm-up, then run 1 on each server, run 2 on each, ...) so that a noisy
     machine hurts all of them alike; medians of the runs; VmRSS sampled;
  4. a table on stdout (one line per scenario: emu's numbers and emu/peer
     ratios; then every server's numbers) and a JSON file in results/.

A run with any error (non-200, failed check, socket error, timeout) is
invalid, and so is a scenario with an invalid run: it is printed, marked,
and left out of ratios.  Nothing here waits without a timeout.

Environment (defaults in brackets):
  BENCH_DURATION [5]   seconds per run        BENCH_RUNS [3]     runs per scenario
  BENCH_WARMUP [1]     seconds of warm-up     BENCH_THREADS [2]  wrk threads
  BENCH_CONNECTIONS [32]                      BENCH_STARTUPS [5] startup samples
  BENCH_SETTLE [10]    at most this many seconds waited for a quiet machine before each run
  BENCH_ONLY           comma list of scenario names (e.g. PutItem,GetRecords)
  BENCH_SERVERS        comma list of servers (emu,dynalite-mem,dynalite-disk,kinesalite)
  BENCH_JSON           result file [tests/bench/results/bench-<time>.json]
  EMU_BIN [./emu]
"""
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PEERS = os.path.join(HERE, "peers", "node_modules")
sys.path.insert(0, HERE)
import setup as bsetup  # noqa: E402


def env_num(name, default):
    try:
        return type(default)(os.environ.get(name, default))
    except ValueError:
        sys.exit("bench: %s must be a number" % name)


DURATION = env_num("BENCH_DURATION", 5)
RUNS = max(1, env_num("BENCH_RUNS", 3))
WARMUP = env_num("BENCH_WARMUP", 1)
THREADS = env_num("BENCH_THREADS", 2)
CONNS = env_num("BENCH_CONNECTIONS", 32)
STARTUPS = max(1, env_num("BENCH_STARTUPS", 5))
SETTLE_MAX = env_num("BENCH_SETTLE", 10.0)
EMU_BIN = os.path.abspath(os.environ.get("EMU_BIN", os.path.join(ROOT, "emu")))
NODE = shutil.which("node") or "node"

# name, Lua script, protocol, wrk args (after --), what items/s counts
SCENARIOS = [
    ("PutItem", "put_item.lua", "ddb", ["table=bench_faces"], "items"),
    ("GetItem", "get_item.lua", "ddb", ["table=bench_faces", "keys=%d" % bsetup.GET_KEYS], "items"),
    ("Query20", "query.lua", "ddb",
     ["table=bench_sightings", "parts=%d" % bsetup.PARTS, "per=%d" % bsetup.PER], "items"),
    ("BatchWrite25", "batch_write.lua", "ddb", ["table=bench_faces", "n=25"], "items"),
    ("PutItemCond", "put_cond.lua", "ddb", ["table=bench_faces"], "items"),
    ("Scan25", "scan.lua", "ddb",
     ["table=bench_sightings", "parts=%d" % bsetup.PARTS, "per=%d" % bsetup.PER, "limit=25"],
     "items"),
    ("UpdateAdd", "update_add.lua", "ddb", ["table=bench_faces", "keys=1000"], "items"),
    ("TransactWrite4", "transact_write.lua", "ddb", ["table=bench_faces", "n=4"], "items"),
    ("PutRecords100", "put_records.lua", "kin", ["stream=bench_put", "n=100"], "records"),
    ("GetRecords", "get_records.lua", "kin", ["limit=100"], "records"),
]
HEADLINE = "PutItemCond"

PROBE = {  # the request that tells a server is up
    "ddb": ("DynamoDB_20120810.ListTables", "1.0"),
    "kin": ("Kinesis_20131202.ListStreams", "1.1"),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_rss_kb(pid, field="VmRSS"):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Server:
    """One server under test: how to start it, its process, its numbers."""

    def __init__(self, name, protos, argv_fn, health):
        self.name, self.protos, self.argv_fn, self.health = name, protos, argv_fn, health
        self.proc = self.port = self.tmp = self.log = None
        self.error = None          # why it is not benchmarked, if it is not
        self.startup_ms = []
        self.rss_idle_kb = self.rss_peak_kb = self.hwm_kb = None
        self.setup_error = {}      # proto -> message

    def start(self, timeout=15.0):
        """Start on a free port; return ms to first answered request (raises)."""
        self.tmp = tempfile.mkdtemp(prefix="bench-%s-" % self.name)
        self.port = free_port()
        self.log = open(os.path.join(self.tmp, "server.log"), "w+b")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(self.argv_fn(self.port, self.tmp), stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.tmp)
        req = self.probe_request()
        deadline = t0 + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("exited with %s: %s" % (self.proc.returncode, self.log_tail()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    s.sendall(req)
                    head = s.recv(64)
                if head.startswith(b"HTTP/1.") and (not self.health or b" 200 " in head[:16]):
                    return (time.perf_counter() - t0) * 1000.0
            except OSError:
                pass
            time.sleep(0.0002)
        raise RuntimeError("no answer within %.0f s: %s" % (timeout, self.log_tail()))

    def probe_request(self):
        if self.health:
            return b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        target, ver = PROBE[self.protos[0]]
        return ("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                "Content-Type: application/x-amz-json-%s\r\nX-Amz-Target: %s\r\n"
                "X-Amz-Date: 20240101T000000Z\r\nAuthorization: AWS4-HMAC-SHA256 "
                "Credential=AKIDBENCH/20240101/us-east-1/x/aws4_request, "
                "SignedHeaders=host, Signature=00\r\nContent-Length: 2\r\n\r\n{}"
                % (ver, target)).encode()

    def log_tail(self):
        try:
            self.log.flush()
            self.log.seek(0)
            return self.log.read().decode("utf-8", "replace")[-400:].strip()
        except (OSError, ValueError):
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        if self.log:
            self.log.close()
            self.log = None
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port


def make_servers():
    kinesalite_js = ("require(process.argv[1])({createStreamMs:0,deleteStreamMs:0,"
                     "updateStreamMs:0}).listen(+process.argv[2],'127.0.0.1')")
    dynalite = [NODE, os.path.join(PEERS, "dynalite", "cli.js"), "--host", "127.0.0.1",
                "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"]
    servers = [
        Server("emu", ["ddb", "kin"], lambda port, tmp: [
            EMU_BIN, "--host", "127.0.0.1", "--port", str(port),
            "--db", os.path.join(tmp, "emu.db"), "--quiet"], health=True),
        Server("dynalite-mem", ["ddb"], lambda port, tmp: dynalite + ["--port", str(port)],
               health=False),
        Server("dynalite-disk", ["ddb"], lambda port, tmp: dynalite + [
            "--port", str(port), "--path", os.path.join(tmp, "leveldb")], health=False),
        Server("kinesalite", ["kin"], lambda port, tmp: [
            NODE, "-e", kinesalite_js, os.path.join(PEERS, "kinesalite"), str(port)],
            health=False),
    ]
    only = os.environ.get("BENCH_SERVERS")
    if only:
        servers = [s for s in servers if s.name in only.split(",")]
    if any(s.name == "emu" for s in servers) and not os.access(EMU_BIN, os.X_OK):
        next(s for s in servers if s.name == "emu").error = "not built (%s)" % EMU_BIN
    for s in servers:
        if s.name != "emu" and not os.path.isdir(PEERS):
            s.error = "peers not installed in %s" % PEERS
    return servers


def run_wrk(server, scen, seconds, tag, tmp):
    """One wrk run; returns its parsed BENCH_RESULT dict plus rss_max_kb."""
    name, script, proto, args, _ = scen
    args = list(args) + ["tag=%s" % tag, "threads=%d" % THREADS]
    if name == "GetRecords":
        path = os.path.join(tmp, "iters-%s.txt" % server.name)
        bsetup.write_iterators(server.endpoint, CONNS, path)
        args.append("iters=%s" % path)
    cmd = ["wrk", "-t%d" % THREADS, "-c%d" % CONNS, "-d%ds" % seconds, "--timeout", "5s",
           "-s", script, server.endpoint + "/", "--"] + args
    rss = {"max": 0}
    stop = threading.Event()

    def sample():
        while not stop.wait(0.1):
            kb = read_rss_kb(server.proc.pid) if server.proc else None
            if kb:
                rss["max"] = max(rss["max"], kb)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out = subprocess.run(cmd, cwd=HERE, capture_output=True, timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        return {"fail": "wrk timed out", "rss_max_kb": rss["max"]}
    finally:
        stop.set()
        sampler.join(2)
    for line in out.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("BENCH_RESULT "):
            res = json.loads(line[len("BENCH_RESULT "):])
            res["rss_max_kb"] = rss["max"]
            return res
    return {"fail": "wrk: " + (out.stderr or out.stdout).decode("utf-8", "replace")[-300:],
            "rss_max_kb": rss["max"]}


def cpu_busy_idle():
    """Busy and idle jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]                      # idle + iowait
    return sum(v[:8]) - idle, idle


def settle(limit=SETTLE_MAX):
    """Start every run on a quiet machine: write back dirty pages (os.sync:
    the last run's database writes, whoever made them), then wait until
    the whole machine is below 5% busy for 200 ms -- a peer's garbage
    collection, emu's checkpointer or the kernel's writeback finishing
    the previous run.  Returns the seconds waited; gives up after `limit`."""
    t0 = time.monotonic()
    os.sync()
    while True:
        b0, i0 = cpu_busy_idle()
        time.sleep(0.2)
        b1, i1 = cpu_busy_idle()
        waited = time.monotonic() - t0
        busy = (b1 - b0) / max(1, (b1 - b0) + (i1 - i0))
        if busy < 0.05 or waited >= limit:
            return waited


def run_errors(r):
    if "fail" in r:
        return 1
    return r["bad"] + r["connect"] + r["read"] + r["write"] + r["timeout"]


def summarize(runs):
    """Median of the runs; invalid when any run had an error or no requests."""
    good = [r for r in runs if "fail" not in r and r["duration_us"] > 0]
    s = {"runs": len(runs), "errors": sum(run_errors(r) for r in runs),
         "first_error": next((r.get("fail") or r.get("first_error") for r in runs
                              if run_errors(r)), None)}
    if good:
        med = lambda xs: statistics.median(xs)  # noqa: E731
        s["req_s"] = med([r["requests"] / (r["duration_us"] / 1e6) for r in good])
        s["items_s"] = med([r["items"] / (r["duration_us"] / 1e6) for r in good])
        s["p50_ms"] = med([r["p50_us"] / 1000.0 for r in good])
        s["p99_ms"] = med([r["p99_us"] / 1000.0 for r in good])
        s["runs_req_s"] = [round(r["requests"] / (r["duration_us"] / 1e6)) for r in good]
    s["rss_max_kb"] = max([r.get("rss_max_kb") or 0 for r in runs] or [0])
    s["valid"] = bool(good) and len(good) == len(runs) and s["errors"] == 0 \
        and s.get("items_s", 0) > 0
    return s


def fmt_num(x, digits=0):
    if x is None:
        return "-"
    return ("{:,.%df}" % digits).format(x)


def fmt_ratio(emu, peer):
    if not emu or not peer or not emu.get("valid") or not peer.get("valid"):
        return None
    return emu["items_s"] / peer["items_s"]


def geomean(xs):
    xs = [x for x in xs if x]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def main():
    os.chdir(HERE)
    t_begin = time.time()
    servers = make_servers()
    scenarios = SCENARIOS
    only = os.environ.get("BENCH_ONLY")
    if only:
        scenarios = [s for s in scenarios if s[0] in only.split(",")]
    print("bench: wrk %d threads, %d connections, %d s x %d runs (median), %d s warm-up; "
          "emu on disk" % (THREADS, CONNS, DURATION, RUNS, WARMUP), flush=True)

    # 1. startup, fresh processes, one at a time
    for srv in servers:
        if srv.error:
            print("bench: %-13s skipped: %s" % (srv.name, srv.error), flush=True)
            continue
        for _ in range(STARTUPS):
            try:
                srv.startup_ms.append(srv.start())
            except RuntimeError as e:
                srv.error = "failed to start: %s" % e
                break
            finally:
                srv.stop()
        if srv.startup_ms:
            print("bench: %-13s startup %.1f ms (median of %d)"
                  % (srv.name, statistics.median(srv.startup_ms), len(srv.startup_ms)),
                  flush=True)

    # 2. long-lived instances, idle RSS, setup
    live = []
    try:
        for srv in servers:
            if srv.error:
                continue
            try:
                srv.start()
            except RuntimeError as e:
                srv.error = "failed to start: %s" % e
                srv.stop()
                continue
            live.append(srv)
        time.sleep(1.0)
        for srv in live:
            srv.rss_idle_kb = read_rss_kb(srv.proc.pid)
        for srv in live:
            for proto in srv.protos:
                t0 = time.monotonic()
                try:
                    (bsetup.setup_ddb if proto == "ddb" else bsetup.setup_kin)(srv.endpoint)
                    print("bench: %-13s %s setup and preload %.1f s"
                          % (srv.name, proto, time.monotonic() - t0), flush=True)
                except Exception as e:  # boto3 raises many kinds; all mean "setup failed"
                    srv.setup_error[proto] = "%s: %s" % (type(e).__name__, str(e)[:200])
                    print("bench: %-13s %s setup FAILED: %s"
                          % (srv.name, proto, srv.setup_error[proto]), flush=True)

        # 3. scenarios, interleaved across servers
        results = {}  # scenario -> server -> summary
        settle_s = {}  # server -> seconds waited for a quiet machine before its runs
        work = tempfile.mkdtemp(prefix="bench-wrk-")
        for si, scen in enumerate(scenarios):
            name, proto = scen[0], scen[2]
            targets = [s for s in live if proto in s.protos]
            runs = {s.name: [] for s in targets}
            for r in range(-1 if WARMUP > 0 else 0, RUNS):
                for srv in targets:
                    if not srv.alive():
                        runs[srv.name].append({"fail": "server exited: " + srv.log_tail()[-200:]})
                        continue
                    if runs[srv.name] and "UnknownOperation" in str(
                            runs[srv.name][0].get("first_error")):
                        continue  # the server lacks the operation: one run says so
                    secs = WARMUP if r < 0 else DURATION
                    waited = settle()
                    settle_s[srv.name] = settle_s.get(srv.name, 0.0) + waited
                    tag = "r%d%d%x" % (si, r + 1, int(time.time() * 1000) & 0xffffff)
                    try:
                        res = run_wrk(srv, scen, secs, tag, work)
                    except Exception as e:  # iterator fetch through boto3, mostly
                        res = {"fail": "%s: %s" % (type(e).__name__, str(e)[:200]),
                               "rss_max_kb": 0}
                    srv.rss_peak_kb = max(srv.rss_peak_kb or 0, res.get("rss_max_kb") or 0)
                    if r >= 0 or "UnknownOperation" in str(res.get("first_error")):
                        runs[srv.name].append(res)
            results[name] = {n: summarize(rs) for n, rs in runs.items()}
            line = "  ".join("%s %s/s%s" % (n, fmt_num(s.get("items_s")),
                                            "" if s["valid"] else " INVALID")
                             for n, s in results[name].items())
            print("bench: %-15s %s" % (name, line), flush=True)
        shutil.rmtree(work, ignore_errors=True)
        print("bench: waited for a quiet machine before runs: %s" % ", ".join(
            "%s %.1f s" % (n, w) for n, w in settle_s.items()), flush=True)
        for srv in live:
            srv.hwm_kb = read_rss_kb(srv.proc.pid, "VmHWM") if srv.alive() else None
    finally:
        for srv in live:
            srv.stop()

    report(servers, scenarios, results if live else {}, time.time() - t_begin)


def report(servers, scenarios, results, elapsed):
    names = [s.name for s in servers]
    peers_of = {"ddb": [n for n in ("dynalite-mem", "dynalite-disk") if n in names],
                "kin": [n for n in ("kinesalite",) if n in names]}
    print()
    print("== emu vs peers: items/s ratio emu/peer in the same run (x); "
          "! = invalid (errors), - = not run")
    hdr = "%-15s %10s %11s %8s %8s %7s  %-19s %-19s %-19s" % (
        "scenario", "emu req/s", "items/s", "p50 ms", "p99 ms", "errors",
        "vs dyn-mem", "vs dyn-disk", "vs kinesalite")
    print(hdr)
    print("-" * len(hdr))
    ratios = {"dynalite-mem": [], "dynalite-disk": [], "kinesalite": []}
    for scen in scenarios:
        name, proto = scen[0], scen[2]
        res = results.get(name, {})
        e = res.get("emu")
        cols = []
        for peer in ("dynalite-mem", "dynalite-disk", "kinesalite"):
            if peer not in peers_of[proto]:
                cols.append("")
                continue
            p = res.get(peer)
            r = fmt_ratio(e, p)
            if r is not None:
                ratios[peer].append(r)
                cols.append("%.2fx" % r)
            elif p is None or e is None:
                cols.append("-")
            elif not e["valid"]:
                cols.append("n/a (emu!)")
            else:
                cols.append("n/a (%s)" % ("peer lacks it" if "UnknownOperation" in
                                          str(p.get("first_error")) else "peer!"))
        if e is None:
            print("%-15s %10s %11s %8s %8s %7s  %-19s %-19s %-19s"
                  % (name, "-", "-", "-", "-", "-", *cols))
            continue
        print("%-15s %10s %11s %8s %8s %7s  %-19s %-19s %-19s" % (
            name + ("" if e["valid"] else " !"), fmt_num(e.get("req_s")),
            fmt_num(e.get("items_s")), fmt_num(e.get("p50_ms"), 2), fmt_num(e.get("p99_ms"), 2),
            e["errors"], *cols))
    gm = {p: geomean(v) for p, v in ratios.items()}
    head = fmt_ratio(results.get(HEADLINE, {}).get("emu"),
                     results.get(HEADLINE, {}).get("dynalite-mem"))
    print("headline: conditional PutItem emu/dynalite-mem %s; geometric mean of valid ratios: %s"
          % ("%.2fx" % head if head else "n/a",
             ", ".join("%s %.2fx (%d)" % (p, g, len(ratios[p])) for p, g in gm.items() if g)
             or "n/a"))

    print()
    print("== every server (median of runs)")
    hdr = "%-15s %-14s %10s %11s %8s %8s %7s  %s" % (
        "scenario", "server", "req/s", "items/s", "p50 ms", "p99 ms", "errors", "note")
    print(hdr)
    print("-" * len(hdr))
    for scen in scenarios:
        for n, s in results.get(scen[0], {}).items():
            note = ("runs " + " ".join(fmt_num(x) for x in s.get("runs_req_s", [])) + " req/s"
                    if s["valid"] else "INVALID: " + str(s.get("first_error") or "no requests"))
            print("%-15s %-14s %10s %11s %8s %8s %7s  %s" % (
                scen[0], n, fmt_num(s.get("req_s")), fmt_num(s.get("items_s")),
                fmt_num(s.get("p50_ms"), 2), fmt_num(s.get("p99_ms"), 2), s["errors"],
                note.replace("\n", " ")[:110]))

    print()
    print("== startup and memory")
    print("%-15s %12s %12s %14s %12s  %s" % ("server", "startup ms", "idle RSS MB",
                                             "load RSS MB", "peak HWM MB", "note"))
    mb = lambda kb: "%.1f" % (kb / 1024.0) if kb else "-"  # noqa: E731
    for s in servers:
        note = s.error or "; ".join("%s setup failed: %s" % kv for kv in s.setup_error.items())
        print("%-15s %12s %12s %14s %12s  %s" % (
            s.name, "%.1f" % statistics.median(s.startup_ms) if s.startup_ms else "-",
            mb(s.rss_idle_kb), mb(s.rss_peak_kb), mb(s.hwm_kb), note[:100]))
    by = {s.name: s for s in servers}
    if "emu" in by and "dynalite-mem" in by and by["emu"].startup_ms and by["dynalite-mem"].startup_ms:
        e, d = by["emu"], by["dynalite-mem"]
        print("emu/dynalite: startup %.2fx, idle RSS %s, load RSS %s" % (
            statistics.median(e.startup_ms) / statistics.median(d.startup_ms),
            "%.2fx" % (e.rss_idle_kb / d.rss_idle_kb) if e.rss_idle_kb and d.rss_idle_kb else "-",
            "%.2fx" % (e.rss_peak_kb / d.rss_peak_kb) if e.rss_peak_kb and d.rss_peak_kb else "-"))
    print("bench: %.0f s in all" % elapsed)

    out = os.environ.get("BENCH_JSON") or os.path.join(
        HERE, "results", time.strftime("bench-%Y%m%d-%H%M%S.json"))
    try:
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            json.dump({
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "config": {"duration_s": DURATION, "runs": RUNS, "warmup_s": WARMUP,
                           "threads": THREADS, "connections": CONNS},
                "servers": {s.name: {"error": s.error, "setup_error": s.setup_error,
                                     "startup_ms": s.startup_ms, "rss_idle_kb": s.rss_idle_kb,
                                     "rss_load_kb": s.rss_peak_kb, "hwm_kb": s.hwm_kb}
                            for s in servers},
                "results": results,
            }, f, indent=1)
        print("bench: results in %s" % os.path.relpath(out, ROOT))
    except OSError as e:
        print("bench: could not write %s: %s" % (out, e))


if __name__ == "__main__":
    # SIGTERM (timeout, CI) unwinds like an exception, so servers are stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
