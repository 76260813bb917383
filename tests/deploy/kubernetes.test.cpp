#include <tunekit/deploy/export.hpp>
#include <tunekit/deploy/kubernetes.hpp>

#include <catch2/catch.hpp>

#include "deploy/study_fixture.hpp"
#include "support/require_invalid.hpp"

#include <algorithm>
#include <random>
#include <string>

namespace tk = tunekit;
namespace dp = tunekit::deploy;
using Catch::Contains;

namespace {

dp::resource_sizing sample_sizing() {
  const std::vector<tk::resource_usage> u = {{2, 1, 64 * dp::mebibyte}, {2, 3, 0}};
  return dp::size_resources(std::span<const tk::resource_usage>(u), {});
}

dp::job_options job() {
  return {.name = "tune-demo",
          .image = "registry.example.com/train:1.0",
          .storage_url = "postgresql://tunekit@postgres:5432/tunekit",
          .study = "demo",
          .secret = {.name = "tunekit-db"},
          .workers = 3,
          .resources = sample_sizing()};
}

nlohmann::json best_doc() {
  const auto s = tk::testing::make_study("demo", {tk::direction::minimize}, {{.values = {0.5}}});
  return dp::best_config_json(s, "demo");
}

dp::serve_options serve() {
  return {.name = "serve-demo", .image = "registry.example.com/serve:1.0", .resources = sample_sizing()};
}

// [a-z]([-a-z0-9]*[a-z0-9])? written out (std::regex trips GCC 12's
// -Wmaybe-uninitialized under the sanitizers).
bool dns1035(const std::string& s) {
  if (s.empty() || s.front() < 'a' || s.front() > 'z' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

}  // namespace

TEST_CASE("kubernetes: the tuning job is an Indexed Job with secret-sourced credentials", "[deploy][kubernetes]") {
  const auto list = dp::tuning_job(job());
  CHECK(list["apiVersion"] == "v1");
  CHECK(list["kind"] == "List");
  REQUIRE(list["items"].size() == 1);
  const auto& j = list["items"][0];
  CHECK(j["apiVersion"] == "batch/v1");
  CHECK(j["kind"] == "Job");
  CHECK(j["metadata"]["name"] == "tune-demo");
  CHECK_FALSE(j["metadata"].contains("namespace"));
  CHECK(j["spec"]["completionMode"] == "Indexed");
  CHECK(j["spec"]["parallelism"] == 3);
  CHECK(j["spec"]["completions"] == 3);
  CHECK(j["spec"]["backoffLimit"] == 6);
  const auto& pod = j["spec"]["template"]["spec"];
  CHECK(pod["restartPolicy"] == "OnFailure");
  const auto& c = pod["containers"][0];
  CHECK(c["image"] == "registry.example.com/train:1.0");
  CHECK(c["resources"] == dp::to_json(sample_sizing()));
  CHECK(c["args"] == nlohmann::json::array({"--storage", "$(TUNEKIT_STORAGE_URL)", "--study", "$(TUNEKIT_STUDY)"}));
  bool password_from_secret = false;
  for (const auto& e : c["env"]) {
    CHECK_FALSE((e.contains("value") && e["value"].get<std::string>().find("password") != std::string::npos));
    if (e["name"] == "PGPASSWORD") {
      CHECK_FALSE(e.contains("value"));
      CHECK(e["valueFrom"]["secretKeyRef"] == nlohmann::json({{"name", "tunekit-db"}, {"key", "password"}}));
      password_from_secret = true;
    }
  }
  CHECK(password_from_secret);
  CHECK(j["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "tunekit");
  CHECK(j["spec"]["template"]["metadata"]["labels"] == j["metadata"]["labels"]);
}

TEST_CASE("kubernetes: job options: completions, namespace, labels, URL from the secret", "[deploy][kubernetes]") {
  auto o = job();
  o.completions = 10;
  o.restart_policy = "Never";
  o.namespace_name = "ml";
  o.labels = {{"team", "vision"}, {"example.com/owner", "ana_b"}};
  o.ttl_seconds_after_finished = 3600;
  o.study = "My Study <2>";
  auto j = dp::tuning_job(o)["items"][0];
  CHECK(j["spec"]["completions"] == 10);
  CHECK(j["spec"]["parallelism"] == 3);
  CHECK(j["spec"]["ttlSecondsAfterFinished"] == 3600);
  CHECK(j["metadata"]["namespace"] == "ml");
  CHECK(j["metadata"]["labels"]["team"] == "vision");
  CHECK(j["metadata"]["labels"]["example.com/owner"] == "ana_b");
  CHECK(j["metadata"]["labels"]["tunekit.io/study"] == "My-Study--2");  // a valid label value
  CHECK(j["metadata"]["annotations"]["tunekit.io/study"] == "My Study <2>");  // verbatim

  o.secret = {.name = "db-url", .key = "url"};
  o.secret_holds = dp::secret_content::url;
  REQUIRE_INVALID(dp::tuning_job(o), Contains("storage_url is set while the Secret holds the URL"));
  o.storage_url.clear();
  j = dp::tuning_job(o)["items"][0];
  const auto& env = j["spec"]["template"]["spec"]["containers"][0]["env"];
  CHECK(env[0]["name"] == "TUNEKIT_STORAGE_URL");
  CHECK(env[0]["valueFrom"]["secretKeyRef"]["key"] == "url");
}

TEST_CASE("kubernetes: credentials are never inlined", "[deploy][kubernetes]") {
  auto o = job();
  o.storage_url = "postgresql://tunekit:hunter2@postgres/tunekit";
  REQUIRE_INVALID(dp::tuning_job(o), Contains("storage_url holds a password"));
  o.storage_url = "postgresql://postgres/tunekit?user=a&password=hunter2";
  REQUIRE_INVALID(dp::tuning_job(o), Contains("storage_url holds a password"));
  o.storage_url = "journal:///tmp/study.log";
  REQUIRE_INVALID(dp::tuning_job(o), Contains("is not a PostgreSQL URL"));
  o = job();
  o.secret.name.clear();
  REQUIRE_INVALID(dp::tuning_job(o), Contains("Secret name and key"));
  o.secret = {.name = "db", .key = "pass word"};
  REQUIRE_INVALID(dp::tuning_job(o), Contains("secret key 'pass word' is not a valid Secret key"));
  o.secret.key = "password";
  o.secret.name = "Bad_Secret";
  REQUIRE_INVALID(dp::tuning_job(o), Contains("'Bad_Secret' is not a valid Secret name"));
}

TEST_CASE("kubernetes: bad job options name the option", "[deploy][kubernetes]") {
  auto bad = [](auto edit) {
    auto o = job();
    edit(o);
    return o;
  };
  REQUIRE_INVALID(dp::tuning_job(bad([](auto& o) { o.workers = 0; })), Contains("workers = 0"));
  REQUIRE_INVALID(dp::tuning_job(bad([](auto& o) { o.completions = -1; })), Contains("completions = -1"));
  REQUIRE_INVALID(dp::tuning_job(bad([](auto& o) { o.backoff_limit = -1; })), Contains("backoff_limit = -1"));
  REQUIRE_INVALID(dp::tuning_job(bad([](auto& o) { o.restart_policy = "Always"; })), Contains("OnFailure or Never"));
  REQUIRE_INVALID(dp::tuning_job(bad([](auto& o) { o.image = ""; })), Contains("image is empty"));
  REQUIRE_INVALID(dp::tuning_job(bad([](auto& o) { o.image = "a b"; })), Contains("whitespace"));
  REQUIRE_INVALID(dp::tuning_job(bad([](auto& o) { o.study = ""; })), Contains("study is empty"));
  REQUIRE_INVALID(dp::tuning_job(bad([](auto& o) { o.labels = {{"bad key!", "x"}}; })), Contains("label key 'bad key!'"));
  REQUIRE_INVALID(dp::tuning_job(bad([](auto& o) { o.labels = {{"k", "-x"}}; })), Contains("label 'k' has value '-x'"));
}

TEST_CASE("kubernetes: invalid names are rejected quoting the rule, or sanitised", "[deploy][kubernetes]") {
  auto o = job();
  o.name = "Tune_Demo";
  REQUIRE_INVALID(dp::tuning_job(o), Contains("'Tune_Demo' is not a valid Kubernetes name") &&
                                         Contains("[a-z]([-a-z0-9]*[a-z0-9])?"));
  o.names = dp::name_policy::sanitize;
  CHECK(dp::tuning_job(o)["items"][0]["metadata"]["name"] == "tune-demo");
  o.name = "123 ---";
  REQUIRE_INVALID(dp::tuning_job(o), Contains("has no letter"));
  o.names = dp::name_policy::reject;
  o.name = std::string(57, 'a');
  REQUIRE_INVALID(dp::tuning_job(o), Contains("56"));
  o.name = "ok";
  o.namespace_name = "ML";
  REQUIRE_INVALID(dp::tuning_job(o), Contains("namespace 'ML'"));

  CHECK(dp::object_name("My Model v2.1 (prod)", dp::name_policy::sanitize) == "my-model-v2-1-prod");
  CHECK(dp::object_name("__x__", dp::name_policy::sanitize) == "x");
  CHECK(dp::object_name("9lives", dp::name_policy::sanitize) == "lives");
  CHECK(dp::object_name("ünïcode", dp::name_policy::sanitize) == "n-code");
}

TEST_CASE("kubernetes: sanitised names are valid and reject-mode accepts them, over seeds", "[deploy][kubernetes]") {
  const std::string alphabet = "abcXYZ019-_. /<>\"'\\\xc3\xa9";
  for (std::uint32_t seed = 0; seed < 500; ++seed) {
    std::mt19937 rng(seed);
    std::string raw;
    const std::size_t n = rng() % 80;
    for (std::size_t k = 0; k < n; ++k) raw += alphabet[rng() % alphabet.size()];
    INFO("seed " << seed << ": " << raw);
    std::string name;
    try {
      name = dp::object_name(raw, dp::name_policy::sanitize);
    } catch (const tk::invalid_argument& e) {
      CHECK_THAT(e.what(), Contains("has no letter"));
      continue;
    }
    CHECK(dns1035(name));
    CHECK(name.size() <= dp::max_base_name);
    CHECK(dp::object_name(name, dp::name_policy::reject) == name);
    CHECK(dp::object_name(name, dp::name_policy::sanitize) == name);  // idempotent
    const auto value = tk::detail::label_value(raw);
    CHECK(tk::detail::label_value_valid(value));
    CHECK(value.size() <= 63);
  }
}

TEST_CASE("kubernetes: serving ConfigMap, Deployment and Service", "[deploy][kubernetes]") {
  auto o = serve();
  o.readiness = dp::http_probe{.path = "/ready"};
  o.replicas = 3;
  const auto doc = best_doc();
  const auto list = dp::serving(doc, o);
  REQUIRE(list["items"].size() == 3);
  const auto &cm = list["items"][0], &dep = list["items"][1], &svc = list["items"][2];
  CHECK(cm["kind"] == "ConfigMap");
  CHECK(cm["metadata"]["name"] == "serve-demo-config");
  CHECK(nlohmann::json::parse(cm["data"]["best.json"].get<std::string>()) == doc);
  CHECK(dep["kind"] == "Deployment");
  CHECK(dep["apiVersion"] == "apps/v1");
  CHECK(dep["spec"]["replicas"] == 3);
  const auto& tmpl = dep["spec"]["template"];
  for (const auto& [k, v] : dep["spec"]["selector"]["matchLabels"].items()) CHECK(tmpl["metadata"]["labels"][k] == v);
  const auto& c = tmpl["spec"]["containers"][0];
  CHECK(c["image"] == "registry.example.com/serve:1.0");
  CHECK(c["resources"] == dp::to_json(sample_sizing()));
  CHECK(c["env"][0] == nlohmann::json({{"name", "TUNEKIT_CONFIG"}, {"value", "/etc/tunekit/best.json"}}));
  CHECK(c["volumeMounts"][0]["mountPath"] == "/etc/tunekit");
  CHECK(tmpl["spec"]["volumes"][0]["configMap"]["name"] == "serve-demo-config");
  CHECK(c["readinessProbe"]["httpGet"]["path"] == "/ready");
  CHECK(c["readinessProbe"]["httpGet"]["port"] == 8080);
  CHECK_FALSE(c.contains("livenessProbe"));
  CHECK(svc["kind"] == "Service");
  CHECK(svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]);
  CHECK(svc["spec"]["ports"][0]["port"] == 80);
  CHECK(svc["spec"]["ports"][0]["targetPort"] == "http");
  // A different configuration changes the pod template, so the pods roll.
  auto other = doc;
  other["params"]["lr"] = 0.5;
  CHECK(dp::serving(other, o)["items"][1]["spec"]["template"]["metadata"]["annotations"] !=
        tmpl["metadata"]["annotations"]);
}

TEST_CASE("kubernetes: bad serving options name the option", "[deploy][kubernetes]") {
  const auto doc = best_doc();
  auto bad = [](auto edit) {
    auto o = serve();
    edit(o);
    return o;
  };
  REQUIRE_INVALID(dp::serving(doc, bad([](auto& o) { o.replicas = -1; })), Contains("replicas = -1"));
  REQUIRE_INVALID(dp::serving(doc, bad([](auto& o) { o.port = 70000; })), Contains("port = 70000"));
  REQUIRE_INVALID(dp::serving(doc, bad([](auto& o) { o.config_dir = "etc"; })), Contains("absolute path"));
  REQUIRE_INVALID(dp::serving(doc, bad([](auto& o) { o.config_file = "a/b.json"; })), Contains("ConfigMap key"));
  REQUIRE_INVALID(dp::serving(doc, bad([](auto& o) { o.liveness = dp::http_probe{.path = "health"}; })),
                  Contains("probe path 'health'"));
  REQUIRE_INVALID(dp::serving(doc, bad([](auto& o) { o.name = "Serve Me"; })), Contains("'Serve Me'"));
  REQUIRE_INVALID(dp::serving(nlohmann::json::object(), serve()), Contains("not an export document"));
}
