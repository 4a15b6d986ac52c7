#!/usr/bin/env python3
"""What a hostile task list costs the provider: its peak memory (VmHWM) while the
`taurusdb_replication_tasks` data source reads a list API that answers as badly as the
bounds allow.

A small HTTP server here stands in for the API (the simulator only answers well):
- `fat`:  every page holds 100 new tasks whose every text field is 4 KiB (the provider cuts
          each at 1 KiB as it reads), and claims 100,000 tasks: the 32 MiB budget of one
          listing must end it with an error naming the bound.
- `many`: 1,000 pages of 100 small tasks, 100,000 distinct tasks in all (the most a listing
          admits): a success, and the largest value the data source can return.

`terraform plan` reads the data source; the provider's VmHWM is sampled from /proc while
it runs. Usage: python3 bench/hostile_listing.py [--modes fat,many]
Builds the release binary first. Needs terraform (or tofu) on PATH.
"""
import argparse, json, os, subprocess, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from harness import BIN, build_release, terraform, terraform_env

PROJECT = "2f6c8a4e1b3d4c5f9a7e6d5c4b3a2918"
INSTANCE = "5c1f0e9a2b7d4e3f8a6c1d2e3f4a5b6cin17"
TOTAL = 100_000


def task(mode, n):
    if mode == "fat":
        junk = "x" * 4096
        return {"task_name": "t%07d_%s" % (n, junk), "stage": junk, "status": junk,
                "source_database": junk, "target_database": junk, "percentage": junk,
                "catchup_stage": junk, "catchup_percentage": junk}
    return {"task_name": "t%07d" % n, "stage": "Incremental", "status": "Normal",
            "source_database": "src", "target_database": "dst", "percentage": "100"}


def handler_for(mode, counter):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlparse(self.path)
            if not url.path.endswith("/starrocks/databases/replication"):
                self.send_error(404)
                return
            q = parse_qs(url.query)
            offset = int(q.get("offset", ["0"])[0])
            limit = min(int(q.get("limit", ["100"])[0]), 100)
            counter["pages"] += 1
            tasks = [task(mode, n) for n in range(offset, min(offset + limit, TOTAL))]
            body = json.dumps({"total_count": TOTAL, "replications": tasks}).encode()
            counter["bytes"] += len(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    return Handler


def provider_pids():
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/exe") == BIN:
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


def hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def run(tf, mode):
    counter = {"pages": 0, "bytes": 0}
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(mode, counter))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = "http://127.0.0.1:%d" % server.server_address[1]
    peak = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = terraform_env(tmp, endpoint, PROJECT)
            with open(os.path.join(tmp, "main.tf"), "w") as f:
                f.write('terraform {\n required_providers {\n  taurusdb = { source = "taurusdb/taurusdb" }\n }\n}\n'
                        'data "taurusdb_replication_tasks" "all" {\n instance_id = "%s"\n}\n'
                        'output "count" { value = length(data.taurusdb_replication_tasks.all.tasks) }\n'
                        % INSTANCE)
            started = time.monotonic()
            plan = subprocess.Popen([tf, "plan", "-input=false", "-no-color"], cwd=tmp, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            while plan.poll() is None:
                for pid in provider_pids():
                    value = hwm_kib(pid)
                    if value:
                        peak[pid] = max(peak.get(pid, 0), value)
                time.sleep(0.02)
            wall = time.monotonic() - started
            output = plan.stdout.read()
    finally:
        server.shutdown()
    outcome = "ok" if plan.returncode == 0 else "error"
    lines = [l.strip() for l in output.splitlines()
             if "count" in l and "=" in l or "Error" in l or "MiB" in l or "pages" in l]
    print(f"{mode:4s}: plan exit {plan.returncode} ({outcome}) in {wall:.1f} s, "
          f"{counter['pages']} pages / {counter['bytes'] / 2**20:.1f} MiB served, "
          f"provider VmHWM {max(peak.values(), default=0) / 1024:.1f} MiB "
          f"(over {len(peak)} provider process(es))")
    for line in lines[:4]:
        print("      " + line[:160])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--modes", default="fat,many")
    a = ap.parse_args()
    tf = terraform()
    build_release()
    for mode in a.modes.split(","):
        run(tf, mode)


if __name__ == "__main__":
    main()
