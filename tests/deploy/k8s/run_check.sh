#!/usr/bin/env bash
# CTest deploy.k8s_manifests: generates manifests for a real study with the
# tunekit CLI and validates them against the Kubernetes API schema
# (kubernetes-models, check.js). Exit 77 (skipped) without node or
# node_modules; `npm ci --prefix tests/deploy/k8s` installs them (.ci/run does).
#
#   run_check.sh <tunekit-cli> <tunekit_k8s_study> <workdir>
set -euo pipefail
cli=$1 make_study=$2 workdir=$3
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED: node is not installed (Debian: nodejs)"; exit 77
fi
if [ ! -d "$here/node_modules/kubernetes-models" ]; then
  echo "SKIPPED: $here/node_modules is missing; run: npm ci --prefix tests/deploy/k8s"; exit 77
fi

rm -rf "$workdir" && mkdir -p "$workdir"
study="K8s Demo"                      # not a valid object name: the default names are repaired
url="journal://$workdir/study.log"
"$make_study" "$workdir/study.log" "$study" "$workdir/trials.json"

"$cli" deploy export "$url" "$study" -o "$workdir/best.json"
"$cli" deploy job "$url" "$study" --image registry.example.com/tunekit-worker:1.0 --workers 3 --completions 6 \
  --secret tunekit-db:password --worker-url postgresql://tunekit@postgres.db.svc:5432/tunekit \
  --label team=ml --namespace tuning -o "$workdir/job.json"
"$cli" deploy job "$url" "$study" --image registry.example.com/tunekit-worker:1.0 --workers 2 \
  --secret tunekit-db-url:url --secret-holds url --no-cpu-limit --restart-policy Never -o "$workdir/job-url.json"
"$cli" deploy serve "$url" "$study" --image registry.example.com/tunekit-serve:1.0 --replicas 2 \
  --readiness /ready --liveness /healthz --headroom 1.5 -o "$workdir/serve.json"

# Bad input: the CLI refuses, exit status 1, with a message naming the problem.
expect_failure() {
  local pattern=$1; shift
  local out
  if out=$("$@" 2>&1); then echo "FAIL: expected an error from: $*"; exit 1; fi
  if ! grep -q -- "$pattern" <<<"$out"; then echo "FAIL: message lacks '$pattern': $out"; exit 1; fi
  echo "refused as expected: $out"
}
expect_failure "holds a password" "$cli" deploy job "$url" "$study" --image i --secret s \
  --worker-url postgresql://tunekit:hunter2@postgres/tunekit
expect_failure "DNS-1035 label" "$cli" deploy serve "$url" "$study" --image i --name "Bad Name"
expect_failure "is not a PostgreSQL URL" "$cli" deploy job "$url" "$study" --image i --secret s
expect_failure "cannot write" "$cli" deploy export "$url" "$study" -o "$workdir/no/such/dir/best.json"

node "$here/check.js" "$workdir"
