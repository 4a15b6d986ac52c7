#!/usr/bin/env python3
"""Terraform wall time and CPU: N taurusdb_replication_pause resources against the
simulator versus N terraform_data resources (the floor), apply + destroy, as ratios.

Usage: python3 bench/terraform_wall.py [--count 500] [--runs 3] [--parallelism 10]
Builds the release binary first. Needs terraform (or tofu) on PATH.
"""
import argparse, os, resource, statistics, subprocess, tempfile, time

from harness import build_release, pause_config, start_sim, terraform, terraform_env


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def proc_cpu(pid):
    """CPU seconds (user + system) a live process has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def run_cycle(tf, workdir, env, parallelism):
    """apply + destroy; returns (wall seconds, cpu seconds of terraform and its plugins)."""
    cpu0, t0 = children_cpu(), time.perf_counter()
    for args in (["apply"], ["destroy"]):
        subprocess.run(
            [tf, *args, "-auto-approve", "-input=false", "-no-color", f"-parallelism={parallelism}"],
            cwd=workdir, env=env, check=True, stdout=subprocess.DEVNULL,
        )
    return time.perf_counter() - t0, children_cpu() - cpu0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--parallelism", type=int, default=10)
    ap.add_argument("--extra", default="", help="extra HCL inside each pause resource, e.g. 'wait_for_completion = false'")
    a = ap.parse_args()
    tf = terraform()
    build_release()
    sim, endpoint, fields = start_sim()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = terraform_env(tmp, endpoint, fields["project_id"])
            pause = os.path.join(tmp, "pause"); os.mkdir(pause)
            floor = os.path.join(tmp, "floor"); os.mkdir(floor)
            with open(os.path.join(pause, "main.tf"), "w") as f:
                f.write(pause_config(a.count, fields["instance_id"], a.extra))
            with open(os.path.join(floor, "main.tf"), "w") as f:
                f.write('resource "terraform_data" "d" {\n count = %d\n input = "orders_sync"\n}\n' % a.count)
            # terraform_data needs the builtin provider only; init creates no files of note.
            subprocess.run([tf, "init", "-input=false", "-no-color"], cwd=floor, env=env, check=True,
                           stdout=subprocess.DEVNULL)
            results = {"pause": [], "floor": []}
            for _ in range(a.runs):
                for name, wd in (("floor", floor), ("pause", pause)):
                    results[name].append(run_cycle(tf, wd, env, a.parallelism))
    finally:
        sim_cpu = proc_cpu(sim.pid)
        sim.terminate(); sim.wait()

    def med(name, i):
        return statistics.median(r[i] for r in results[name])
    fw, fc, pw, pc = med("floor", 0), med("floor", 1), med("pause", 0), med("pause", 1)
    print(f"{a.count} resources, -parallelism={a.parallelism}, apply+destroy, median of {a.runs} runs")
    print(f"  terraform_data (floor):      wall {fw:6.2f} s  cpu {fc:6.2f} s")
    print(f"  taurusdb_replication_pause:  wall {pw:6.2f} s  cpu {pc:6.2f} s")
    print(f"  ratio: wall {pw / fw:.2f}x  cpu {pc / fc:.2f}x")
    print(f"  (simulator, all runs: cpu {sim_cpu:.2f} s; not included above)")


if __name__ == "__main__":
    main()
