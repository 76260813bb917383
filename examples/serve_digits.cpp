// examples/serve_digits.cpp — serve the tuned digits network over HTTP.
//
// The quickstart tunes the network (examples/quickstart.cpp); `tunekit deploy
// export` writes its best configuration. This program trains that
// configuration once and stores the weights (`train`), then answers one
// prediction per request from them (`serve`), with cpp-httplib (Debian's
// libcpp-httplib-dev). In Kubernetes the configuration is the ConfigMap that
// `tunekit deploy serve` emits (mounted, its path in $TUNEKIT_CONFIG) and the
// weights file is part of the image. benchmarks/serve_load.py measures it
// with wrk; `tunekit deploy serve --serving-benchmark` sizes replicas and the
// autoscaler from that measurement (docs/kubernetes.md).
//
//   serve_digits train --config best.json --weights digits-weights.json
//   serve_digits serve --config best.json --weights digits-weights.json [--port 8080]
//   serve_digits --small --config best.json
//                           CTest (after quickstart --small and tunekit deploy export):
//                           train the exported configuration, write and load the
//                           weights, serve on a free loopback port, ask /health
//                           and one prediction, stop
//
// Endpoints:
//   GET  /health   {"status": "ok", "model": {...}, "requests": N}
//   POST /predict  {"pixels": [64 numbers in 0..16]}  ->  {"label": 3, "probabilities": [...]}
//                  a bad body is answered 400 with the field at fault
#include <tunekit/deploy/export.hpp>  // load_config, write_json_file: no tuner here (compile cost)

// Eigen (digits.hpp) before httplib.h: the <resolv.h> it includes defines
// `_res`, a parameter name in Eigen's headers.
#include "digits_space.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>

#include <pthread.h>  // pthread_sigmask, pthread_kill
#include <signal.h>   // sigwait: SIGTERM stops the server
#include <unistd.h>   // getpid

namespace fs = std::filesystem;

namespace {

constexpr int n_pixels = 64;

// --- the weights file ---------------------------------------------------------

nlohmann::json matrix_json(const digits::matrix& m) {
    return {{"rows", m.rows()}, {"cols", m.cols()}, {"values", std::vector<float>(m.data(), m.data() + m.size())}};
}

digits::matrix matrix_from(const nlohmann::json& doc, const char* field, Eigen::Index rows, Eigen::Index cols) {
    const auto& j = doc.at(field);
    if (j.at("rows").get<Eigen::Index>() != rows || j.at("cols").get<Eigen::Index>() != cols)
        throw std::runtime_error(std::string("weights: ") + field + " is " + j.at("rows").dump() + "x" +
                                 j.at("cols").dump() + ", the configuration needs " + std::to_string(rows) + "x" +
                                 std::to_string(cols));
    const auto values = j.at("values").get<std::vector<float>>();
    if (values.size() != static_cast<std::size_t>(rows * cols))
        throw std::runtime_error(std::string("weights: ") + field + ".values has " + std::to_string(values.size()) +
                                 " numbers, not rows*cols");
    return Eigen::Map<const digits::matrix>(values.data(), rows, cols);
}

void save_weights(const digits::network& net, const fs::path& path) {
    tunekit::deploy::write_json_file({{"format", "digits.network"},
                                      {"activation", net.relu ? "relu" : "tanh"},
                                      {"w1", matrix_json(net.w1)},
                                      {"b1", matrix_json(net.b1)},
                                      {"w2", matrix_json(net.w2)},
                                      {"b2", matrix_json(net.b2)}},
                                     path);
}

/// The weights of `h`'s architecture; a file of another shape is refused.
digits::network load_weights(const fs::path& path, const digits::hyperparameters& h) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read weights file " + path.string() + " (make it with: serve_digits train)");
    const auto doc = nlohmann::json::parse(in);
    if (doc.value("format", "") != "digits.network") throw std::runtime_error(path.string() + " is not a digits.network file");
    if (doc.at("activation") != h.activation)
        throw std::runtime_error("weights: activation " + doc.at("activation").dump() + " but the configuration has " +
                                 h.activation);
    digits::network net;
    net.relu = h.activation == "relu";
    net.w1 = matrix_from(doc, "w1", n_pixels, h.hidden);
    net.b1 = matrix_from(doc, "b1", 1, h.hidden);
    net.w2 = matrix_from(doc, "w2", h.hidden, 10);
    net.b2 = matrix_from(doc, "b2", 1, 10);
    return net;
}

/// Trains configuration `h` on the training split; prints its validation accuracy.
digits::network train_network(const digits::hyperparameters& h, const digits::split_data& split) {
    digits::model m(digits::to_mlp_config(h), split.train);
    for (int epoch = 0; epoch < h.epochs && !m.diverged(); ++epoch) m.train_epoch(split.train);
    std::printf("trained %s: validation accuracy %.4f\n", digits::describe(h).c_str(), m.accuracy_on(split.validation));
    return m.weights();
}

// --- the server ---------------------------------------------------------------

/// The request body's pixels as one sample, scaled as in training; throws
/// std::invalid_argument naming the field at fault.
digits::matrix parse_sample(const std::string& body) {
    const auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) throw std::invalid_argument("the body is not a JSON object");
    if (!doc.contains("pixels") || !doc["pixels"].is_array() || doc["pixels"].size() != n_pixels)
        throw std::invalid_argument("pixels: expected an array of 64 numbers in 0..16");
    digits::matrix x(1, n_pixels);
    for (int i = 0; i < n_pixels; ++i) {
        const auto& v = doc["pixels"][static_cast<std::size_t>(i)];
        if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 16)
            throw std::invalid_argument("pixels[" + std::to_string(i) + "] = " + v.dump() + ": expected a number in 0..16");
        x(0, i) = static_cast<float>(v.get<double>() / 16.0);
    }
    return x;
}

nlohmann::json predict(const digits::network& net, const digits::matrix& x) {
    const auto p = net.probabilities(x);
    const auto best = std::max_element(p.begin(), p.end()) - p.begin();
    return {{"label", best}, {"probabilities", p}};
}

/// Routes /health and /predict on `server`; `net` and `requests` (the count of
/// predictions) must outlive it.
void install_routes(httplib::Server& server, const digits::network& net, const nlohmann::json& model_info,
                    std::atomic<long long>& requests) {
    server.Get("/health", [model_info, &requests](const httplib::Request&, httplib::Response& res) {
        res.set_content(nlohmann::json{{"status", "ok"}, {"model", model_info}, {"requests", requests.load()}}.dump(),
                        "application/json");
    });
    server.Post("/predict", [&net, &requests](const httplib::Request& req, httplib::Response& res) {
        try {
            res.set_content(predict(net, parse_sample(req.body)).dump(), "application/json");
            ++requests;
        } catch (const std::invalid_argument& e) {
            res.status = 400;
            res.set_content(nlohmann::json{{"error", e.what()}}.dump(), "application/json");
        }
    });
    // Connections are held open (a load balancer's keep-alive), one pool thread
    // each; without TCP_NODELAY the body waits for the header's delayed ACK (40 ms).
    server.set_keep_alive_max_count(1000000);
    server.set_tcp_nodelay(true);
}

nlohmann::json model_info(const digits::hyperparameters& h, const fs::path& config) {
    return {{"config", config.string()}, {"hidden", h.hidden}, {"activation", h.activation}};
}

// --- command line ----------------------------------------------------------------

struct arguments {
    std::string command;
    std::map<std::string, std::string> options;
};

[[noreturn]] void usage(int status) {
    std::fputs("usage: serve_digits train --config best.json --weights FILE [--data-dir DIR] [--small-space] [--index K]\n"
               "       serve_digits serve --config best.json --weights FILE [--host 127.0.0.1] [--port 8080]\n"
               "                          [--threads 8] [--port-file FILE] [--small-space] [--index K]\n"
               "       serve_digits --small --config best.json   (the smoke test; a --small study's configuration)\n"
               "  --config defaults to $TUNEKIT_CONFIG (the path `tunekit deploy serve` mounts);\n"
               "  --port 0 takes a free port, written to --port-file when given;\n"
               "  --small-space reads a configuration of the quickstart's --small study (2..8 epochs);\n"
               "  --index K serves the K-th best trial of the file (a point of a Pareto front; default 0)\n",
               status == 0 ? stdout : stderr);
    std::exit(status);
}

arguments parse(int argc, char** argv) {
    arguments a;
    for (int i = 1; i < argc; ++i) {
        const std::string s = argv[i];
        if (s == "--help" || s == "-h") usage(0);
        if (s == "--small") a.options.emplace("small-space", std::string(1, '1'));  // a --small study's configuration
        if (s == "--small" || s == "--small-space") a.options.emplace(s.substr(2), std::string(1, '1'));
        else if (s.rfind("--", 0) == 0 && i + 1 < argc) a.options.insert_or_assign(s.substr(2), std::string(argv[++i]));
        else if (s.rfind("--", 0) != 0 && a.command.empty()) a.command = s;
        else usage(2);
    }
    return a;
}

std::string option(const arguments& a, const std::string& key, const char* fallback = nullptr) {
    if (auto it = a.options.find(key); it != a.options.end()) return it->second;
    if (key == "config")
        if (const char* env = std::getenv("TUNEKIT_CONFIG")) return env;
    if (fallback) return fallback;
    std::fprintf(stderr, "serve_digits %s: --%s is required\n", a.command.c_str(), key.c_str());
    usage(2);
}

/// The configuration to serve: `--index K` picks a point of a Pareto front
/// (an export of a multi-objective study lists several best trials).
digits::hyperparameters load_hyperparameters(const arguments& a) {
    return tunekit::deploy::load_config(digits::hyperparameter_space(a.options.count("small-space") > 0),
                                        option(a, "config"), {.index = std::stoul(option(a, "index", "0"))});
}

int serve(const arguments& a) {
    // SIGTERM (Kubernetes stopping the pod) and SIGINT stop the server: the
    // listening socket closes and requests in flight are answered. Blocked
    // here, before any thread starts, so only the waiter below receives them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    const auto h = load_hyperparameters(a);
    const auto net = load_weights(option(a, "weights"), h);
    const auto threads = static_cast<std::size_t>(std::stoul(option(a, "threads", "8")));
    std::atomic<long long> requests{0};
    httplib::Server server;
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    install_routes(server, net, model_info(h, option(a, "config")), requests);
    const std::string host = option(a, "host", "127.0.0.1");
    int port = std::stoi(option(a, "port", "8080"));
    if (port == 0) port = server.bind_to_any_port(host);
    else if (!server.bind_to_port(host, port)) port = -1;
    if (port < 0) throw std::runtime_error("cannot listen on " + host + ":" + option(a, "port", "8080"));
    if (auto file = a.options.find("port-file"); file != a.options.end()) std::ofstream(file->second) << port << '\n';
    std::printf("serving %s on http://%s:%d (%zu threads)\n", digits::describe(h).c_str(), host.c_str(), port, threads);
    std::fflush(stdout);
    std::thread waiter([&] {
        int signal = 0;
        sigwait(&stop_signals, &signal);
        server.stop();
    });
    const bool ok = server.listen_after_bind();
    pthread_kill(waiter.native_handle(), SIGTERM);  // wakes the waiter if the server stopped by itself
    waiter.join();
    std::printf("stopped after %lld predictions\n", requests.load());
    return ok ? 0 : 1;
}

/// The CTest smoke test: the configuration exported from the quickstart's
/// --small study (examples/cmake/serve_smoke.cmake), trained, its weights
/// written and read back, and served on a free loopback port in this process.
int smoke(const arguments& a) {
    const fs::path data_dir = option(a, "data-dir", TUNEKIT_EXAMPLES_DATA_DIR);
    const auto split = digits::stratified_split(digits::load_digits(data_dir / "digits.csv.gz"), 0.2, 0);
    const auto h = load_hyperparameters(a);
    const fs::path dir = fs::temp_directory_path() / ("serve_digits_small_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    save_weights(train_network(h, split), dir / "weights.json");
    const auto net = load_weights(dir / "weights.json", h);

    std::atomic<long long> requests{0};
    httplib::Server server;
    server.new_task_queue = [] { return new httplib::ThreadPool(2); };
    install_routes(server, net, model_info(h, option(a, "config")), requests);
    const int port = server.bind_to_any_port("127.0.0.1");
    if (port <= 0) throw std::runtime_error("cannot bind a loopback port");
    std::thread listener([&] { server.listen_after_bind(); });
    int failures = 0;
    auto expect = [&](bool ok, const std::string& what) {
        std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
        failures += ok ? 0 : 1;
    };
    {
        httplib::Client client("127.0.0.1", port);
        const auto health = client.Get("/health");
        expect(health && health->status == 200 && nlohmann::json::parse(health->body)["status"] == "ok",
               "GET /health on port " + std::to_string(port));
        nlohmann::json body;
        for (int i = 0; i < n_pixels; ++i) body["pixels"].push_back(split.validation.features(0, i) * 16.0f);
        const auto res = client.Post("/predict", body.dump(), "application/json");
        const auto local = predict(net, split.validation.features.row(0));
        expect(res && res->status == 200 && nlohmann::json::parse(res->body)["label"] == local["label"],
               "POST /predict answers label " + local["label"].dump() + ", as the network in process");
        const auto bad = client.Post("/predict", R"({"pixels": [1, 2]})", "application/json");
        expect(bad && bad->status == 400 && bad->body.find("pixels") != std::string::npos,
               "a short pixels array is answered 400 naming the field");
    }
    server.stop();
    listener.join();
    fs::remove_all(dir);
    return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const auto a = parse(argc, argv);
    try {
        if (a.options.count("small")) return smoke(a);
        if (a.command == "train") {
            const fs::path data_dir = option(a, "data-dir", TUNEKIT_EXAMPLES_DATA_DIR);
            const auto split = digits::stratified_split(digits::load_digits(data_dir / "digits.csv.gz"), 0.2, 0);
            save_weights(train_network(load_hyperparameters(a), split), option(a, "weights"));
            std::printf("weights: %s\n", option(a, "weights").c_str());
            return 0;
        }
        if (a.command == "serve") return serve(a);
        usage(2);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "serve_digits: %s\n", e.what());
        return 1;
    }
}
