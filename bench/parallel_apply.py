#!/usr/bin/env python3
"""1000 pause resources at -parallelism=100 against the simulator: zero errors, nothing
lost (every resource in state with its own job ID), and the provider's connections to the
API counted from the simulator's side.

Usage: python3 bench/parallel_apply.py [--count 1000] [--parallelism 100]
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "terraform-provider-taurusdb")
TOKEN = "bench-token"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--parallelism", type=int, default=100)
    a = ap.parse_args()
    tf = shutil.which("terraform") or shutil.which("tofu") or sys.exit("no terraform/tofu")
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    sim_log_file = tempfile.TemporaryFile(mode="w+")
    sim = subprocess.Popen([BIN, "sim", "--listen", "127.0.0.1:0", "--token", TOKEN],
                           stdout=subprocess.PIPE, stderr=sim_log_file, text=True,
                           env=dict(os.environ, TF_LOG="info"))
    banner = sim.stdout.readline().split()
    endpoint = next(w for w in banner if w.startswith("http"))
    fields = dict(w.split("=", 1) for w in banner if "=" in w)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rc = os.path.join(tmp, "terraform.rc")
            with open(rc, "w") as f:
                f.write('provider_installation {\n dev_overrides {\n  "registry.terraform.io/taurusdb/taurusdb" = "%s"\n }\n direct {}\n}\n'
                        % os.path.dirname(BIN))
            env = dict(os.environ, TF_CLI_CONFIG_FILE=rc, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1",
                       HW_TAURUSDB_ENDPOINT=endpoint, HW_AUTH_TOKEN=TOKEN, HW_PROJECT_ID=fields["project_id"])
            for k in ("TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_PATH"):
                env.pop(k, None)
            with open(os.path.join(tmp, "main.tf"), "w") as f:
                f.write('terraform {\n required_providers {\n  taurusdb = { source = "taurusdb/taurusdb" }\n }\n}\n'
                        'resource "taurusdb_replication_pause" "p" {\n count = %d\n instance_id = "%s"\n task_name = "orders_sync"\n}\n'
                        % (a.count, fields["instance_id"]))
            t0 = time.perf_counter()
            run = subprocess.run([tf, "apply", "-auto-approve", "-input=false", "-no-color",
                                  f"-parallelism={a.parallelism}"], cwd=tmp, env=env,
                                 capture_output=True, text=True)
            wall = time.perf_counter() - t0
            errors = run.stdout.count("Error:") + run.stderr.count("Error:")
            if errors:
                first = (run.stdout + run.stderr).split("Error:", 1)[1][:800]
                print("first error:", first)
            show = json.loads(subprocess.run([tf, "show", "-json"], cwd=tmp, env=env, check=True,
                                             capture_output=True, text=True).stdout)
            resources = show.get("values", {}).get("root_module", {}).get("resources", [])
            job_ids = {r["values"]["job_id"] for r in resources if r["values"].get("job_id")}
    finally:
        sim.terminate()
        sim.wait()
        sim_log_file.seek(0)
        sim_log = sim_log_file.read()
    pauses = sum(1 for line in sim_log.splitlines() if "/replication/pause" in line)
    print(f"{a.count} resources at -parallelism={a.parallelism}: apply exit {run.returncode}, {wall:.2f} s")
    print(f"  errors in output: {errors}")
    print(f"  resources in state: {len(resources)}, distinct job IDs: {len(job_ids)}")
    print(f"  pause requests logged by the simulator: {pauses}")
    ok = run.returncode == 0 and errors == 0 and len(resources) == a.count == len(job_ids)
    print("  RESULT:", "ok" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
