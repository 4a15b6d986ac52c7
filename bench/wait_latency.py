#!/usr/bin/env python3
"""How long after the service finished does `terraform apply` return, and how many API
requests did the wait cost?

For each job duration D the simulator runs pause jobs of D seconds (`sim --job-duration`);
one pause resource is applied, then applied again with nothing to do. The overhead is
(create apply) - (no-op apply) - D: what the user waits beyond the service itself. Each run
uses a fresh simulator so every pause starts from a replicating task. The requests are
counted from the simulator's own log (one line per request).

Then the many-waiters run: N resources on N tasks of one instance at -parallelism=N with
jobs of --many-duration seconds: wall time and requests by kind. Task-list reads must not
grow with N.

Usage: python3 bench/wait_latency.py [--durations 1,2,5,12,30] [--runs 3] [--many 100]
Builds the release binary first. Needs terraform (or tofu) on PATH.
"""
import argparse, collections, json, os, statistics, subprocess, tempfile, time

from harness import BIN, TOKEN, build_release, terraform, terraform_env


def start_sim(log_file, job_duration, tasks=0):
    env = dict(os.environ, TF_LOG="info")
    args = [BIN, "sim", "--listen", "127.0.0.1:0", "--token", TOKEN,
            "--job-duration", f"{job_duration}s"]
    if tasks:
        args += ["--tasks", str(tasks)]
    sim = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log_file, text=True, env=env)
    banner = sim.stdout.readline().split()
    endpoint = next(w for w in banner if w.startswith("http"))
    fields = dict(w.split("=", 1) for w in banner if "=" in w)
    return sim, endpoint, fields


def stop(sim, log_file):
    sim.terminate()
    sim.wait()
    log_file.seek(0)
    kinds = collections.Counter()
    for line in log_file.read().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("@message") != "taurusdb simulator request":
            continue
        path = entry.get("path", "")
        if path.endswith("/pause") or path.endswith("/resume"):
            kinds["pause POST"] += 1
        elif path.endswith("/jobs"):
            kinds["job GET"] += 1
        elif path.endswith("/replication"):
            kinds["list GET"] += 1
        else:
            kinds["other"] += 1
    return kinds


def config(tasks, instance_id):
    resources = "".join(
        'resource "taurusdb_replication_pause" "p%d" {\n instance_id = "%s"\n task_name = "%s"\n}\n'
        % (i, instance_id, task) for i, task in enumerate(tasks))
    return ('terraform {\n required_providers {\n  taurusdb = { source = "taurusdb/taurusdb" }\n }\n}\n'
            + resources)


def timed_apply(tf, workdir, env, parallelism=10):
    t0 = time.perf_counter()
    subprocess.run([tf, "apply", "-auto-approve", "-input=false", "-no-color",
                    f"-parallelism={parallelism}"],
                   cwd=workdir, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def one_run(tf, duration):
    """(overhead seconds, request counts of the create apply) for one fresh simulator."""
    log = tempfile.TemporaryFile(mode="w+")
    sim, endpoint, fields = start_sim(log, duration)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = terraform_env(tmp, endpoint, fields["project_id"])
            with open(os.path.join(tmp, "main.tf"), "w") as f:
                f.write(config(["orders_sync"], fields["instance_id"]))
            create = timed_apply(tf, tmp, env)
    finally:
        kinds = stop(sim, log)
    # The no-op apply on a second simulator (same state shape): plan + refresh, no wait.
    log = tempfile.TemporaryFile(mode="w+")
    sim, endpoint, fields = start_sim(log, 0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = terraform_env(tmp, endpoint, fields["project_id"])
            with open(os.path.join(tmp, "main.tf"), "w") as f:
                f.write(config(["orders_sync"], fields["instance_id"]))
            timed_apply(tf, tmp, env)          # creates (instant job)
            noop = timed_apply(tf, tmp, env)   # nothing to do
    finally:
        stop(sim, log)
    return create - noop - duration, kinds


def many_waiters(tf, count, duration):
    log = tempfile.TemporaryFile(mode="w+")
    sim, endpoint, fields = start_sim(log, duration, tasks=count)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = terraform_env(tmp, endpoint, fields["project_id"])
            tasks = ["task_%04d" % (i + 1) for i in range(count)]
            with open(os.path.join(tmp, "main.tf"), "w") as f:
                f.write(config(tasks, fields["instance_id"]))
            wall = timed_apply(tf, tmp, env, parallelism=count)
    finally:
        kinds = stop(sim, log)
    return wall, kinds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--durations", default="1,2,5,12,30")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--many", type=int, default=100, help="resources in the many-waiters run (0: skip)")
    ap.add_argument("--many-duration", type=float, default=5)
    a = ap.parse_args()
    tf = terraform()
    build_release()
    print("job D | overhead after the job (median, min-max of %d) | goal  | requests (pause+list+job)" % a.runs)
    for d in [float(x) for x in a.durations.split(",")]:
        overheads, counts = [], []
        for _ in range(a.runs):
            overhead, kinds = one_run(tf, d)
            overheads.append(overhead)
            counts.append(kinds)
        goal = max(0.5, 0.1 * d)
        med = statistics.median(overheads)
        last = counts[len(counts) // 2]
        print(f"{d:5.0f} s | {med:5.2f} s ({min(overheads):.2f}-{max(overheads):.2f})"
              f"                      | {goal:4.1f} s | {sum(last.values())} "
              f"({last['pause POST']}+{last['list GET']}+{last['job GET']})"
              + ("" if med <= goal else "   OVER GOAL"))
    if a.many:
        wall, kinds = many_waiters(tf, a.many, a.many_duration)
        print(f"\n{a.many} resources on one instance, -parallelism={a.many}, {a.many_duration:g} s jobs:"
              f" wall {wall:.2f} s, {sum(kinds.values())} requests: "
              + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())))


if __name__ == "__main__":
    main()
