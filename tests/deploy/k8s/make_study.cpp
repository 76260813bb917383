// Populates a journal study whose trials really use varied CPU and memory,
// for the manifest validation test (run_check.sh): each trial touches
// `mib` MiB and is busy for a `busy` share of its wall time, so the measured
// cores and peak-RSS growth differ from trial to trial. Writes the COMPLETE
// trials' measured resources as JSON, from which check.js recomputes the
// sizing independently.
//
//   tunekit_k8s_study <journal-file> <study> <trials.json>

#include <tunekit/tunekit.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <iostream>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: tunekit_k8s_study <journal-file> <study> <trials.json>\n";
    return 2;
  }
  // Through open_storage, as the worker example does (any_storage).
  tunekit::tuner tuner{tunekit::open_storage(std::string("journal:") + argv[1]), tunekit::random_sampler{{.seed = 7}},
                       tunekit::study_config{.name = argv[2]}};
  tuner.optimize(
      [](tunekit::trial& t) {
        const auto mib = t.suggest_int("mib", 1, 24);
        const double busy = t.suggest_float("busy", 0.2, 1.0);
        const auto layers = t.suggest_int("layers", 1, 4);
        std::vector<char> block(static_cast<std::size_t>(mib) << 20);
        for (std::size_t k = 0; k < block.size(); k += 4096) block[k] = static_cast<char>(k);  // touch every page
        const auto start = std::chrono::steady_clock::now();
        const auto spin = std::chrono::duration<double>(0.02 * busy);
        volatile double sink = 0;
        while (std::chrono::steady_clock::now() - start < spin) sink = sink + 1;
        std::this_thread::sleep_for(std::chrono::duration<double>(0.02 * (1 - busy)));
        return static_cast<double>(block[4096]) * 0 + (busy - 0.6) * (busy - 0.6) + 0.01 * static_cast<double>(mib + layers);
      },
      {.n_trials = 24});
  nlohmann::json out = nlohmann::json::array();
  const tunekit::study_view view = tuner.view();  // finished() refers into the view
  for (const auto& t : view.finished())
    if (t.state == tunekit::trial_state::complete)
      out.push_back({{"wall_seconds", t.resources.wall_seconds},
                     {"cpu_seconds", t.resources.cpu_seconds},
                     {"peak_memory_growth_bytes", t.resources.peak_memory_growth_bytes}});
  std::ofstream(argv[3]) << out.dump(2) << '\n';
  std::cout << "study " << argv[2] << ": " << out.size() << " COMPLETE trials in " << argv[1] << '\n';
  return 0;
}
