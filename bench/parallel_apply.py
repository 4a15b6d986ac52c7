#!/usr/bin/env python3
"""1000 pause resources at -parallelism=100 against the simulator: zero errors, nothing
lost (every resource in state with its own job ID), and the provider's connections to the
API counted from the simulator's side.

Usage: python3 bench/parallel_apply.py [--count 1000] [--parallelism 100]
"""
import argparse, json, os, subprocess, sys, tempfile, time

from harness import build_release, pause_config, start_sim, terraform, terraform_env


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--parallelism", type=int, default=100)
    a = ap.parse_args()
    tf = terraform()
    build_release()
    # The simulator logs one line per request; it goes to a file, never to a pipe that
    # nobody reads (a full pipe would stall the simulator).
    sim_log_file = tempfile.TemporaryFile(mode="w+")
    sim, endpoint, fields = start_sim(sim_log_file, "info")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = terraform_env(tmp, endpoint, fields["project_id"])
            with open(os.path.join(tmp, "main.tf"), "w") as f:
                f.write(pause_config(a.count, fields["instance_id"]))
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
