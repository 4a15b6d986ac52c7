#!/usr/bin/env bash
# The demo: build the provider, start the embedded TaurusDB simulator, `terraform apply`
# examples/basic against it, and show the job ID the pause call returned.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tf=${TF_BINARY:-$(command -v terraform || command -v tofu || true)}
if [ -z "$tf" ]; then
  echo "demo: no terraform or tofu binary on PATH" >&2
  exit 1
fi

echo "==> building terraform-provider-taurusdb (release)"
cargo build --release --locked --manifest-path "$root/Cargo.toml"
bin="$root/target/release/terraform-provider-taurusdb"

work=$(mktemp -d)
sim_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> starting the embedded TaurusDB simulator"
token="demo-token-$RANDOM$RANDOM"
exec 3< <(SIM_AUTH_TOKEN="$token" exec "$bin" sim --listen 127.0.0.1:0 --job-duration 2s 2>"$work/sim.log")
sim_pid=$!
read -r banner <&3
echo "    $banner"
endpoint=$(sed -E 's/.* on (http[^ ]+).*/\1/' <<<"$banner")
project_id=$(sed -E 's/.*project_id=([^ ]+).*/\1/' <<<"$banner")
instance_id=$(sed -E 's/.*instance_id=([^ ]+).*/\1/' <<<"$banner")

cat >"$work/terraform.rc" <<RC
provider_installation {
  dev_overrides {
    "registry.terraform.io/taurusdb/taurusdb" = "$root/target/release"
  }
  direct {}
}
RC
cp "$root/examples/basic/main.tf" "$work/main.tf"

export TF_CLI_CONFIG_FILE="$work/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
export HW_TAURUSDB_ENDPOINT="$endpoint" HW_PROJECT_ID="$project_id" HW_AUTH_TOKEN="$token"
export TF_VAR_instance_id="$instance_id"

echo "==> terraform apply"
(cd "$work" && "$tf" apply -auto-approve -input=false -no-color)

echo "==> re-plan (expect no changes)"
(cd "$work" && "$tf" plan -detailed-exitcode -input=false -no-color >/dev/null) && echo "    no changes"

job_id=$(cd "$work" && "$tf" output -raw job_id)
echo
echo "Paused task orders_sync on instance $instance_id: job ID $job_id"
