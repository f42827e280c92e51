#!/usr/bin/env bash
# The whole flow in one go, against a local moto server standing in for a
# sandbox account: set up, start moto on 127.0.0.1, approve an example plan,
# execute it (non-interactively, with the approval token), print the report
# and show the bucket that now exists. Nothing leaves this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
# the collection is found whatever ansible.cfg is in use (an ANSIBLE_CONFIG of the user's own, or an empty one)
export ANSIBLE_COLLECTIONS_PATH="$PWD/collections${ANSIBLE_COLLECTIONS_PATH:+:$ANSIBLE_COLLECTIONS_PATH}"
PLAN_SOURCE=${1:-examples/plans/s3-dev-logs.yml}

demo=.demo
rm -rf "$demo" && mkdir -p "$demo/plans"
port=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python -m moto.server -H 127.0.0.1 -p "$port" >"$demo/moto.log" 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null && break
  sleep 0.2
done

# A sandbox profile that can only reach the local moto server.
cat >"$demo/aws-config" <<CFG
[profile sandbox-demo]
region = us-east-1
endpoint_url = http://127.0.0.1:$port
CFG
cat >"$demo/aws-credentials" <<CFG
[sandbox-demo]
aws_access_key_id = testing
aws_secret_access_key = testing
CFG
# Signed approvals required in the sandbox, by the TEST-ONLY approvers of tests/data/keys (published keys:
# fine for a demo against moto, worthless anywhere else). ssh-keygen wants the private key private: copy it.
install -m 600 tests/data/keys/test-only-alice.ed25519 "$demo/alice.ed25519"
cat >"$demo/environments.yml" <<CFG
environments:
  sandbox:
    {account_ids: ["123456789012"], account_aliases: ["*-sandbox"], profiles: ["sandbox-*"], regions: ["*"],
     approval: {signed: required, approvers: "$PWD/tests/data/keys/test-only-allowed_signers"}}
  development: {account_aliases: ["*-dev"], profiles: ["dev-*"], regions: [us-east-1, us-west-2]}
  test: {account_aliases: ["*-test", "*-qa"], profiles: ["test-*", "qa-*"]}
  staging: {account_aliases: ["*-staging", "*-preprod"], profiles: ["staging-*"]}
  production: {account_aliases: ["*-prod", "*-production"], profiles: ["prod-*"]}
unknown_environment: staging
CFG
export AWS_CONFIG_FILE="$PWD/$demo/aws-config" AWS_SHARED_CREDENTIALS_FILE="$PWD/$demo/aws-credentials"
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_EC2_METADATA_DISABLED=true
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
export COWORKER_AWS_ENVIRONMENTS="$PWD/$demo/environments.yml"

cp "$PLAN_SOURCE" "$demo/plans/"
plan="$demo/plans/$(basename "$PLAN_SOURCE")"
echo "== Approving and signing $plan as alice@example.com (as a script would: -e confirm=yes)"
ansible-playbook playbooks/approve_plan.yml -e plan="$plan" -e approved_by=alice@example.com \
  -e signing_key="$demo/alice.ed25519" -e confirm=yes >"$demo/approve.log"
digest=$(python - "$plan" <<'PY'
import sys, yaml
print(yaml.safe_load(open(sys.argv[1]))["approval"]["plan_sha256"])
PY
)
echo "== Executing with approval token ${digest:0:12}"
ansible-playbook playbooks/execute_nonprod.yml -e plan="$plan" -e aws_profile=sandbox-demo \
  -e approve="${digest:0:12}" -e state_dir="$demo/state"
echo "== What now exists in the moto sandbox account"
aws --profile sandbox-demo s3api list-buckets --query 'Buckets[].Name' --output text
echo "== Report and journal: $(ls -d "$demo"/state/runs/*)"
