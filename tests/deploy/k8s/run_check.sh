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

# Autoscaled serving, sized from the serving benchmark of examples/serve_digits.
cp "$here/../../../benchmarks/results/serve_digits.json" "$workdir/serving_benchmark.json"
bench="$workdir/serving_benchmark.json"
"$cli" deploy serve "$url" "$study" --image registry.example.com/tunekit-serve:1.0 --namespace serving \
  --readiness /health --serving-benchmark "$bench" --target-rate 500 --p99-ms 50 -o "$workdir/serve-hpa.json"
"$cli" deploy serve "$url" "$study" --image registry.example.com/tunekit-serve:1.0 --serving-benchmark "$bench" \
  --target-rate 20000 --p99-ms 50 --cpu-target 60 --capacity-fraction 0.5 --peak-factor 2 --min-rate-fraction 0.5 \
  --min-replicas 3 --scale-down-window 120 --max-unavailable 2 -o "$workdir/serve-hpa-opts.json"

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
# A front choice needs a multi-objective study, and --budget needs --pick-best.
expect_failure "has one objective, so there is no front" "$cli" deploy export "$url" "$study" --pick-best 0
expect_failure "needs --pick-best" "$cli" deploy serve "$url" "$study" --image i --budget 0=1
expect_failure "is not OBJECTIVE=LIMIT" "$cli" deploy export "$url" "$study" --pick-best 0 --budget 12

# Bad serving benchmarks and objectives: refused, naming the field.
node -e '
  const fs = require("fs"), [src, dir] = process.argv.slice(1);
  let doc = JSON.parse(fs.readFileSync(src, "utf8"));
  delete doc.levels[1].latency_ms.p99;
  fs.writeFileSync(dir + "/bench-missing.json", JSON.stringify(doc));
  doc = JSON.parse(fs.readFileSync(src, "utf8"));
  doc.levels[0].requests_per_second = 0;
  fs.writeFileSync(dir + "/bench-zero.json", JSON.stringify(doc));' "$bench" "$workdir"
serve_hpa() { "$cli" deploy serve "$url" "$study" --image i "$@"; }
expect_failure "levels\[1\].latency_ms.p99 is missing" serve_hpa --serving-benchmark "$workdir/bench-missing.json" \
  --target-rate 500 --p99-ms 50
expect_failure "levels\[0\].requests_per_second = 0; must be > 0" serve_hpa \
  --serving-benchmark "$workdir/bench-zero.json" --target-rate 500 --p99-ms 50
expect_failure "target_rate = 0; must be > 0" serve_hpa --serving-benchmark "$bench" --target-rate 0 --p99-ms 50
expect_failure "p99_ms = 0.001 cannot be met by one replica" serve_hpa --serving-benchmark "$bench" \
  --target-rate 500 --p99-ms 0.001
expect_failure "needs --serving-benchmark" serve_hpa --target-rate 500
expect_failure "with --serving-benchmark the replicas" serve_hpa --serving-benchmark "$bench" --target-rate 500 \
  --p99-ms 50 --replicas 3

node "$here/check.js" "$workdir"
