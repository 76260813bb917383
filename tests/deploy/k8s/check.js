// Validates the manifests run_check.sh generated: every object is built with
// kubernetes-models and validate()d against the Kubernetes API schema, then
// the fields that matter are checked, with the sizing recomputed here,
// independently of the C++ code, from the trials' measured resources.
//
// The autoscaled serving objects (serve-hpa.json, serve-hpa-opts.json) are
// checked the same way against a plan recomputed here from the serving
// benchmark (serving_benchmark.json, a copy of benchmarks/results/serve_digits.json).
//
//   node check.js <workdir>   (job.json, job-url.json, serve.json, serve-hpa*.json, best.json, trials.json,
//                              serving_benchmark.json)
"use strict";
const fs = require("fs");
const path = require("path");
const assert = require("assert/strict");
const { Job } = require("kubernetes-models/batch/v1");
const { Deployment } = require("kubernetes-models/apps/v1");
const { ConfigMap, Service } = require("kubernetes-models/v1");
const { HorizontalPodAutoscaler } = require("kubernetes-models/autoscaling/v2");
const { PodDisruptionBudget } = require("kubernetes-models/policy/v1");

const dir = process.argv[2];
const read = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
const models = {
  "batch/v1/Job": Job, "apps/v1/Deployment": Deployment, "v1/ConfigMap": ConfigMap, "v1/Service": Service,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler, "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
};

let checks = 0;
function check(cond, what) {
  assert.ok(cond, what);
  checks++;
}

// kubectl reads a `kind: List`; each item must be a known, schema-valid object.
function validateList(file) {
  const list = read(file);
  check(list.apiVersion === "v1" && list.kind === "List" && Array.isArray(list.items), `${file}: a v1 List`);
  for (const item of list.items) {
    const Model = models[`${item.apiVersion}/${item.kind}`];
    check(Model !== undefined, `${file}: unexpected ${item.apiVersion} ${item.kind}`);
    new Model(item).validate(); // throws with the schema path on an invalid object
    check(/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(item.metadata.name), `${file}: name ${item.metadata.name} is a DNS-1035 label`);
    checks++;
  }
  return list.items;
}

// --- the sizing policy's defaults, recomputed -------------------------------
const Mi = 1024 * 1024;
function percentile(sorted, p) { // type 7 (linear between order statistics)
  const h = ((sorted.length - 1) * p) / 100, lo = Math.floor(h), hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
const roundUp = (x, g) => Math.max(0, Math.ceil(x / g - 1e-9)) * g;
function sizing(trials, { cpuPercentile = 90, memPercentile = 100, headroom = 1.25, cpuLimit = true } = {}) {
  const cores = trials.filter((t) => t.wall_seconds > 0).map((t) => Math.max(0, t.cpu_seconds / t.wall_seconds)).sort((a, b) => a - b);
  const mem = trials.map((t) => Math.max(0, t.peak_memory_growth_bytes)).sort((a, b) => a - b);
  assert.ok(mem.length >= 2, "the study should have several COMPLETE trials");
  const base = 128 * Mi;
  const reqCpu = Math.max(roundUp(percentile(cores, cpuPercentile) * 1000 * headroom, 50), 100);
  const reqMem = Math.max(roundUp((base + percentile(mem, memPercentile)) * headroom, 16 * Mi), 64 * Mi);
  const limCpu = Math.max(roundUp(reqCpu * 2, 50), roundUp(cores[cores.length - 1] * 1000 * headroom, 50));
  const limMem = Math.max(roundUp(reqMem * 1, 16 * Mi), roundUp((base + mem[mem.length - 1]) * headroom, 16 * Mi));
  return { requests: { cpu: reqCpu, memory: reqMem }, limits: { cpu: cpuLimit ? limCpu : undefined, memory: limMem } };
}
// Kubernetes quantities to numbers: CPU in millicores, memory in bytes.
function cpuMilli(q) {
  const m = /^(\d+)(m?)$/.exec(q);
  assert.ok(m, `CPU quantity ${q}`);
  return m[2] ? Number(m[1]) : Number(m[1]) * 1000;
}
function bytes(q) {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(q);
  assert.ok(m, `memory quantity ${q}`);
  return Number(m[1]) * { undefined: 1, Ki: 1024, Mi: Mi, Gi: 1024 * Mi }[m[2]];
}
function checkResources(res, expected, what) {
  check(cpuMilli(res.requests.cpu) === expected.requests.cpu, `${what}: cpu request ${res.requests.cpu} = ${expected.requests.cpu}m`);
  check(bytes(res.requests.memory) === expected.requests.memory, `${what}: memory request ${res.requests.memory} = ${expected.requests.memory}`);
  check(bytes(res.limits.memory) === expected.limits.memory, `${what}: memory limit ${res.limits.memory} = ${expected.limits.memory}`);
  if (expected.limits.cpu === undefined) check(res.limits.cpu === undefined, `${what}: no cpu limit`);
  else check(cpuMilli(res.limits.cpu) === expected.limits.cpu, `${what}: cpu limit ${res.limits.cpu} = ${expected.limits.cpu}m`);
}

// No literal credential anywhere: every env var either has a plain value
// without a password, or comes from a secretKeyRef.
function noInlinedSecrets(container, what) {
  for (const e of container.env || []) {
    if (e.valueFrom) continue;
    check(!/password|hunter2|:[^/@]*@/.test(e.value || ""), `${what}: env ${e.name} holds no password`);
  }
}

const trials = read("trials.json");
const best = read("best.json");

// --- best.json ---------------------------------------------------------------
check(best.format === "tunekit.best_config" && best.format_version === 2, "best.json: format");
assert.deepEqual(Object.keys(best).sort(), ["best_trials", "exported_at", "format", "format_version", "study", "tunekit_version"]);
check(best.study.name === "K8s Demo" && best.study.storage.kind === "journal", "best.json: study and storage");
check(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(best.exported_at), "best.json: UTC time stamp");
check(["mib", "busy", "layers"].every((k) => k in best.best_trials[0].params), "best.json: every parameter, in one place");
check(best.best_trials.length === 1 && typeof best.best_trials[0].resources.cpu_seconds === "number", "best.json: resources");

// --- the tuning Job (password from a Secret) ---------------------------------
{
  const [job] = validateList("job.json");
  check(job.kind === "Job" && job.metadata.name === "tune-k8s-demo", "job: kind and repaired default name");
  check(job.metadata.namespace === "tuning", "job: namespace");
  check(job.spec.completionMode === "Indexed", "job: completionMode Indexed");
  check(job.spec.parallelism === 3 && job.spec.completions === 6, "job: parallelism 3, completions 6");
  check(job.spec.backoffLimit === 6 && job.spec.template.spec.restartPolicy === "OnFailure", "job: backoff and restart");
  check(job.metadata.labels.team === "ml" && job.spec.template.metadata.labels.team === "ml", "job: user label");
  const c = job.spec.template.spec.containers[0];
  check(c.image === "registry.example.com/tunekit-worker:1.0", "job: image");
  const env = Object.fromEntries(c.env.map((e) => [e.name, e]));
  check(env.PGPASSWORD && env.PGPASSWORD.value === undefined, "job: PGPASSWORD has no literal value");
  assert.deepEqual(env.PGPASSWORD.valueFrom, { secretKeyRef: { name: "tunekit-db", key: "password" } });
  check(env.TUNEKIT_STORAGE_URL.value === "postgresql://tunekit@postgres.db.svc:5432/tunekit", "job: storage URL without password");
  check(env.TUNEKIT_STUDY.value === "K8s Demo", "job: study name verbatim");
  check(c.args.join(" ") === "--storage $(TUNEKIT_STORAGE_URL) --study $(TUNEKIT_STUDY)", "job: worker arguments");
  noInlinedSecrets(c, "job");
  checkResources(c.resources, sizing(trials), "job");
}

// --- the tuning Job (URL from a Secret, no CPU limit) ------------------------
{
  const [job] = validateList("job-url.json");
  check(job.spec.parallelism === 2 && job.spec.completions === 2, "job-url: parallelism");
  check(job.spec.template.spec.restartPolicy === "Never", "job-url: restart policy");
  const c = job.spec.template.spec.containers[0];
  const url = c.env.find((e) => e.name === "TUNEKIT_STORAGE_URL");
  assert.deepEqual(url.valueFrom, { secretKeyRef: { name: "tunekit-db-url", key: "url" } });
  check(!c.env.some((e) => e.name === "PGPASSWORD"), "job-url: no PGPASSWORD");
  noInlinedSecrets(c, "job-url");
  checkResources(c.resources, sizing(trials, { cpuLimit: false }), "job-url");
}

// --- serving -----------------------------------------------------------------
{
  const items = validateList("serve.json");
  assert.deepEqual(items.map((i) => i.kind), ["ConfigMap", "Deployment", "Service"]);
  const [cm, dep, svc] = items;
  check(cm.metadata.name === "serve-k8s-demo-config" && dep.metadata.name === "serve-k8s-demo", "serve: names");
  const mounted = JSON.parse(cm.data["best.json"]);
  // The exported document (serve exports again: only the time stamp may differ).
  assert.deepEqual({ ...mounted, exported_at: best.exported_at }, best);
  check(dep.spec.replicas === 2, "serve: replicas");
  const pod = dep.spec.template;
  for (const [k, v] of Object.entries(dep.spec.selector.matchLabels)) check(pod.metadata.labels[k] === v, `serve: selector ${k}`);
  assert.deepEqual(svc.spec.selector, dep.spec.selector.matchLabels);
  const c = pod.spec.containers[0];
  check(c.image === "registry.example.com/tunekit-serve:1.0", "serve: image");
  check(c.readinessProbe.httpGet.path === "/ready" && c.livenessProbe.httpGet.path === "/healthz", "serve: probes");
  const vol = pod.spec.volumes.find((v) => v.configMap && v.configMap.name === cm.metadata.name);
  check(vol !== undefined, "serve: ConfigMap volume");
  const mount = c.volumeMounts.find((m) => m.name === vol.name);
  const configEnv = c.env.find((e) => e.name === "TUNEKIT_CONFIG");
  check(configEnv.value === `${mount.mountPath}/best.json`, "serve: TUNEKIT_CONFIG points into the mount");
  check(svc.spec.ports[0].targetPort === c.ports[0].name, "serve: Service targets the container port");
  noInlinedSecrets(c, "serve");
  checkResources(c.resources, sizing(trials, { headroom: 1.5 }), "serve");
}

// --- autoscaled serving: the plan of docs/kubernetes.md, recomputed ----------
function planServing(bench, { target, p99, cpuTarget = 70, capacity = 0.8, peak = 1.5, minFraction = 0.25,
                              minReplicas = 2, memHeadroom = 1.25 }) {
  const ok = bench.levels.filter((l) => l.errors === 0 && l.latency_ms.p99 <= p99);
  assert.ok(ok.length > 0, "the benchmark should meet the objective at some load");
  const best = ok.reduce((a, b) => (b.requests_per_second > a.requests_per_second ? b : a));
  const n = capacity * best.requests_per_second;
  const cores = best.cpu_seconds_per_request * n;
  const reqCpu = Math.max(roundUp((cores * 1000 * 100) / cpuTarget, 10), 10);
  const maxCores = Math.max(...bench.levels.map((l) => l.cpu_seconds_per_request * l.requests_per_second));
  const mem = Math.max(roundUp(bench.memory.peak_rss_bytes * memHeadroom, 16 * Mi), 64 * Mi);
  const count = (rate) => Math.ceil(rate / n - 1e-9);
  const min = Math.max(minReplicas, count(minFraction * target));
  const replicas = Math.max(min, count(target));
  return {
    n, replicas, min, max: Math.max(replicas, count(peak * target)),
    utilization: Math.max(1, Math.floor((100 * cores * 1000) / reqCpu + 1e-9)),
    resources: { requests: { cpu: reqCpu, memory: mem },
                 limits: { cpu: Math.max(roundUp(reqCpu * 2, 10), roundUp(maxCores * 1000, 10)), memory: mem } },
  };
}
function checkAutoscaled(file, plan, { window = 300, maxUnavailable = 1 } = {}) {
  const items = validateList(file);
  assert.deepEqual(items.map((i) => i.kind),
    ["ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"]);
  const [, dep, , hpa, pdb] = items;
  check(dep.spec.replicas === plan.replicas, `${file}: Deployment replicas ${dep.spec.replicas} = ${plan.replicas}`);
  checkResources(dep.spec.template.spec.containers[0].resources, plan.resources, file);
  // The HPA scales this Deployment, within bounds that match the derivation.
  assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: dep.metadata.name });
  check(hpa.metadata.namespace === dep.metadata.namespace, `${file}: HPA in the Deployment's namespace`);
  check(hpa.spec.minReplicas === plan.min && hpa.spec.maxReplicas === plan.max,
    `${file}: HPA bounds [${hpa.spec.minReplicas}, ${hpa.spec.maxReplicas}] = [${plan.min}, ${plan.max}]`);
  check(hpa.spec.minReplicas <= dep.spec.replicas && dep.spec.replicas <= hpa.spec.maxReplicas, `${file}: min <= replicas <= max`);
  check(hpa.spec.minReplicas >= 1 && hpa.spec.minReplicas <= hpa.spec.maxReplicas, `${file}: 1 <= min <= max`);
  assert.deepEqual(hpa.spec.metrics, [{ type: "Resource",
    resource: { name: "cpu", target: { type: "Utilization", averageUtilization: plan.utilization } } }]);
  check(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds === window, `${file}: scale-down window`);
  // The PDB selects exactly the Deployment's pods.
  assert.deepEqual(pdb.spec.selector, dep.spec.selector);
  for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels))
    check(dep.spec.template.metadata.labels[k] === v, `${file}: PDB selector ${k} matches the pods`);
  check(pdb.spec.maxUnavailable === maxUnavailable && pdb.spec.minAvailable === undefined, `${file}: PDB maxUnavailable`);
}
{
  const bench = read("serving_benchmark.json");
  checkAutoscaled("serve-hpa.json", planServing(bench, { target: 500, p99: 50 }));
  checkAutoscaled("serve-hpa-opts.json",
    planServing(bench, { target: 20000, p99: 50, cpuTarget: 60, capacity: 0.5, peak: 2, minFraction: 0.5, minReplicas: 3 }),
    { window: 120, maxUnavailable: 2 });
}

// A broken object must fail validation: the check can fail.
let rejected = false;
try {
  new Job({ metadata: { name: "x" }, spec: { completionMode: "Sometimes", template: { spec: { containers: [] } } } }).validate();
} catch (e) {
  rejected = true;
}
check(rejected, "kubernetes-models rejects an invalid completionMode");
rejected = false;
try {
  new HorizontalPodAutoscaler({ metadata: { name: "x" }, spec: { scaleTargetRef: { kind: "Deployment", name: "x" } } }).validate();
} catch (e) {
  rejected = true; // maxReplicas is required
}
check(rejected, "kubernetes-models rejects an HPA without maxReplicas");

console.log(`OK: ${checks} checks on the manifests of ${trials.length} measured trials`);
