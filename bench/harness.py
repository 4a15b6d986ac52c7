"""Shared pieces of the benchmark scripts: build, start the simulator, a Terraform CLI
configuration whose dev_overrides point at the release binary, and the environment."""
import os, shutil, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "terraform-provider-taurusdb")
TOKEN = "bench-token"


def terraform():
    """The terraform (or tofu) executable."""
    for name in ("terraform", "tofu"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("no terraform or tofu on PATH")


def build_release():
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)


def start_sim(log_file=subprocess.DEVNULL, log_level=None):
    """Starts `sim` on a free port; returns (process, endpoint, banner fields)."""
    env = dict(os.environ)
    if log_level:
        env["TF_LOG"] = log_level
    sim = subprocess.Popen([BIN, "sim", "--listen", "127.0.0.1:0", "--token", TOKEN],
                           stdout=subprocess.PIPE, stderr=log_file, text=True, env=env)
    banner = sim.stdout.readline().split()
    endpoint = next(w for w in banner if w.startswith("http"))
    fields = dict(w.split("=", 1) for w in banner if "=" in w)
    return sim, endpoint, fields


def terraform_env(tmp, endpoint, project_id):
    """Environment for terraform runs: dev_overrides to our binary, the simulator's endpoint
    and credentials, no logging, no checkpoint calls."""
    rc = os.path.join(tmp, "terraform.rc")
    with open(rc, "w") as f:
        f.write('provider_installation {\n dev_overrides {\n  "registry.terraform.io/taurusdb/taurusdb" = "%s"\n }\n direct {}\n}\n'
                % os.path.dirname(BIN))
    env = dict(os.environ, TF_CLI_CONFIG_FILE=rc, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1",
               HW_TAURUSDB_ENDPOINT=endpoint, HW_AUTH_TOKEN=TOKEN, HW_PROJECT_ID=project_id)
    for k in ("TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_PATH"):
        env.pop(k, None)
    return env


def pause_config(count, instance_id, extra=""):
    return ('terraform {\n required_providers {\n  taurusdb = { source = "taurusdb/taurusdb" }\n }\n}\n'
            'resource "taurusdb_replication_pause" "p" {\n count = %d\n instance_id = "%s"\n task_name = "orders_sync"\n %s\n}\n'
            % (count, instance_id, extra))
