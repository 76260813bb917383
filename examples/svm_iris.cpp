// examples/svm_iris.cpp — tune an RBF support vector machine (libsvm) on iris.
//
// Two searches over the same typed space, C in {0.1, 1, 10, 100} and gamma in
// {1, 0.1, 0.01, 0.001}, scored by mean 5-fold cross-validated accuracy:
//   1. tunekit's grid_sampler over all 16 points — the same experiment as
//      scikit-learn's GridSearchCV(SVC(kernel="rbf"), grid, cv=5), which
//      benchmarks/peers/sklearn_svm_iris.py runs; the test example.svm_iris_vs_sklearn
//      checks that the lines starting with "folds", "grid" and "best_" agree;
//   2. tunekit's random_sampler, 10 trials over the same space.
//
// To compare with scikit-learn the details are scikit-learn's:
//   - the folds are StratifiedKFold(n_splits=5, shuffle=False), whose rule is
//     reproduced in stratified_kfold() below;
//   - SVC's defaults: C-SVC, tol 1e-3, cache 200 MB, shrinking on, no
//     probability estimates, features not scaled;
//   - fold score = correct / fold size; mean = the five scores summed in fold
//     order, divided by 5 (what numpy does for five values);
//   - ties: GridSearchCV ranks candidates with rankdata(-mean, method="min")
//     and best_index_ is the first candidate of rank 1 in ParameterGrid order
//     (keys sorted by name, the last key varying fastest: C outer, gamma inner).
//     We report by the same rule, not by tuner.best_trial(), which breaks ties
//     by order of completion.
#include <tunekit/tunekit.hpp>

#include <libsvm/svm.h>

#include "example_options.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace iris {

/// Samples as rows; labels 0..2 (setosa, versicolor, virginica).
struct dataset {
    std::vector<std::array<double, 4>> features;
    std::vector<int> labels;
};

/// Reads scikit-learn's iris.csv. Its first line is scikit-learn's header:
/// "n_samples,n_features,class names..." (here "150,4,setosa,versicolor,virginica");
/// each further line holds the 4 features and the integer label.
inline dataset load(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot open " + file.string());
    auto split = [](const std::string& line) {
        std::vector<std::string> fields;
        std::size_t start = 0;
        for (std::size_t comma; (comma = line.find(',', start)) != std::string::npos; start = comma + 1)
            fields.push_back(line.substr(start, comma - start));
        fields.push_back(line.substr(start));
        if (!fields.empty() && !fields.back().empty() && fields.back().back() == '\r') fields.back().pop_back();
        return fields;
    };
    auto number = [&](const std::string& text, int line_number) {
        double v = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc{} || end != text.data() + text.size())
            throw std::runtime_error(file.string() + ":" + std::to_string(line_number) + ": not a number: '" + text + "'");
        return v;
    };
    std::string line;
    if (!std::getline(in, line)) throw std::runtime_error(file.string() + ": empty file");
    const auto header = split(line);
    if (header.size() < 3) throw std::runtime_error(file.string() + ": expected the header n_samples,n_features,class names");
    const auto n_samples = static_cast<std::size_t>(number(header[0], 1));
    const auto n_features = static_cast<std::size_t>(number(header[1], 1));
    const auto n_classes = static_cast<int>(header.size() - 2);
    if (n_features != 4) throw std::runtime_error(file.string() + ": expected 4 features");

    dataset d;
    int line_number = 1;
    while (std::getline(in, line)) {
        ++line_number;
        if (line.empty() || line == "\r") continue;
        const auto fields = split(line);
        if (fields.size() != n_features + 1) throw std::runtime_error(file.string() + ":" + std::to_string(line_number) + ": expected 5 values");
        std::array<double, 4> x{};
        for (std::size_t j = 0; j < 4; ++j) x[j] = number(fields[j], line_number);
        const double label = number(fields[4], line_number);
        if (label < 0 || label >= n_classes || label != static_cast<int>(label))
            throw std::runtime_error(file.string() + ":" + std::to_string(line_number) + ": bad label");
        d.features.push_back(x);
        d.labels.push_back(static_cast<int>(label));
    }
    if (d.labels.size() != n_samples) throw std::runtime_error(file.string() + ": header promises " + std::to_string(n_samples) + " samples, found " + std::to_string(d.labels.size()));
    return d;
}

/// The test fold of each sample under scikit-learn's StratifiedKFold(n_splits, shuffle=False):
/// classes are numbered by first appearance; the per-fold allocation of class k is the
/// count of k among y_sorted[i], y_sorted[i + n_splits], ... for fold i; and each class's
/// samples, in data order, fill fold 0 first, then fold 1, and so on.
inline std::vector<int> stratified_kfold(const std::vector<int>& labels, int n_splits) {
    std::map<int, int> first_seen;  // label -> class number by order of appearance
    for (int y : labels) first_seen.try_emplace(y, static_cast<int>(first_seen.size()));
    std::vector<int> encoded;
    for (int y : labels) encoded.push_back(first_seen.at(y));
    const auto n_classes = static_cast<int>(first_seen.size());
    std::vector<int> sorted = encoded;
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::vector<int>> allocation(static_cast<std::size_t>(n_splits), std::vector<int>(static_cast<std::size_t>(n_classes), 0));
    for (std::size_t i = 0; i < sorted.size(); ++i)
        ++allocation[i % static_cast<std::size_t>(n_splits)][static_cast<std::size_t>(sorted[i])];
    std::vector<int> fold(labels.size());
    for (int k = 0; k < n_classes; ++k) {
        int f = 0, used = 0;
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (encoded[i] != k) continue;
            while (used == allocation[static_cast<std::size_t>(f)][static_cast<std::size_t>(k)]) ++f, used = 0;
            fold[i] = f;
            ++used;
        }
    }
    return fold;
}

/// Mean and per-fold accuracy of one cross-validation.
struct cv_result {
    double mean = 0;
    std::vector<double> folds;
};

/// 5-fold cross-validation of libsvm's C-SVC with an RBF kernel and scikit-learn SVC's defaults.
inline cv_result cross_validate(const dataset& d, const std::vector<int>& fold_of, int n_splits, double C, double gamma) {
    // libsvm's sparse rows: (index, value) pairs closed by index -1.
    std::vector<std::array<svm_node, 5>> nodes(d.labels.size());
    for (std::size_t i = 0; i < d.labels.size(); ++i) {
        for (int j = 0; j < 4; ++j) nodes[i][static_cast<std::size_t>(j)] = {j + 1, d.features[i][static_cast<std::size_t>(j)]};
        nodes[i][4] = {-1, 0.0};
    }
    svm_parameter param{};
    param.svm_type = C_SVC;
    param.kernel_type = RBF;
    param.degree = 3;
    param.gamma = gamma;
    param.coef0 = 0;
    param.cache_size = 200;  // MB
    param.eps = 1e-3;        // SVC(tol=1e-3)
    param.C = C;
    param.nr_weight = 0;
    param.nu = 0.5;
    param.p = 0.1;
    param.shrinking = 1;
    param.probability = 0;

    cv_result result;
    for (int f = 0; f < n_splits; ++f) {
        std::vector<double> y;
        std::vector<svm_node*> x;
        for (std::size_t i = 0; i < d.labels.size(); ++i) {
            if (fold_of[i] == f) continue;
            y.push_back(d.labels[i]);
            x.push_back(nodes[i].data());
        }
        svm_problem problem{static_cast<int>(y.size()), y.data(), x.data()};
        if (const char* error = svm_check_parameter(&problem, &param)) throw std::runtime_error(error);
        svm_model* model = svm_train(&problem, &param);
        int correct = 0, total = 0;
        for (std::size_t i = 0; i < d.labels.size(); ++i) {
            if (fold_of[i] != f) continue;
            correct += static_cast<int>(svm_predict(model, nodes[i].data())) == d.labels[i];
            ++total;
        }
        svm_free_and_destroy_model(&model);
        result.folds.push_back(static_cast<double>(correct) / static_cast<double>(total));
    }
    double sum = 0;
    for (double s : result.folds) sum += s;
    result.mean = sum / n_splits;
    return result;
}

}  // namespace iris

/// The tuned hyperparameters.
struct svm_params {
    double C = 1;
    double gamma = 0.1;
};

static int run(const examples::options& options) {
    const auto clock_start = std::chrono::steady_clock::now();
    svm_set_print_string_function([](const char*) {});  // libsvm prints its optimizer's progress otherwise

    const iris::dataset data = iris::load(options.data_dir / "iris.csv");
    constexpr int n_splits = 5;
    const std::vector<int> fold_of = iris::stratified_kfold(data.labels, n_splits);

    const auto space = tunekit::space<svm_params>{
        tunekit::categorical_param("C", &svm_params::C, {0.1, 1.0, 10.0, 100.0}),
        tunekit::categorical_param("gamma", &svm_params::gamma, {1.0, 0.1, 0.01, 0.001}),
    };
    auto objective = [&](const svm_params& p, tunekit::trial& t) {
        const iris::cv_result r = iris::cross_validate(data, fold_of, n_splits, p.C, p.gamma);
        t.set_user_attr("fold_scores", r.folds);
        return r.mean;
    };
    const tunekit::study_config maximize{.directions = {tunekit::direction::maximize}};

    std::printf("iris: %zu samples; 5-fold StratifiedKFold without shuffling\nfolds: ", data.labels.size());
    for (int f : fold_of) std::printf("%d", f);
    std::printf("\n\n");

    // 1. Grid search: every point of the space once. No n_trials: the tuner
    //    stops when the grid sampler has handed out every point.
    tunekit::tuner grid{space, tunekit::grid_sampler{}, maximize};
    grid.optimize(objective, {.n_jobs = options.n_jobs});

    struct row {
        double C, gamma, mean;
        std::vector<double> folds;
    };
    // The table in scikit-learn's ParameterGrid order: keys sorted by name, the
    // last varying fastest (C outer, gamma inner), values in the order given.
    auto choices = [&](std::string_view name) {
        std::vector<double> values;
        for (const tunekit::category& c : std::get<tunekit::categorical_distribution>(*space.dynamic().find(name)).choices())
            values.push_back(std::get<double>(c));
        return values;
    };
    std::vector<row> rows;
    for (double C : choices("C"))
        for (double gamma : choices("gamma")) rows.push_back({C, gamma, -1, {}});
    for (const tunekit::frozen_trial& t : grid.trials()) {
        if (t.state != tunekit::trial_state::complete) continue;
        const auto C = t.param<double>("C");
        const auto gamma = t.param<double>("gamma");
        for (row& r : rows)
            if (r.C == C && r.gamma == gamma) {
                r.mean = t.value();
                r.folds = t.user_attrs.at("fold_scores").get<std::vector<double>>();
            }
    }
    std::printf("grid search (tunekit grid_sampler, %zu trials), in ParameterGrid order\n", grid.trials().size());
    std::size_t best = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (rows[i].mean < 0) throw std::runtime_error("the grid sampler did not visit every point");
        if (rows[i].mean > rows[best].mean) best = i;  // strict: the first of equal means wins
    }
    for (const row& r : rows) {
        int rank = 1;  // rankdata(-mean, method="min")
        for (const row& other : rows) rank += other.mean > r.mean;
        std::printf("grid C=%g gamma=%g mean_test_score=%.6f rank=%d folds=", r.C, r.gamma, r.mean, rank);
        for (std::size_t f = 0; f < r.folds.size(); ++f) std::printf("%s%.4f", f ? "," : "", r.folds[f]);
        std::printf("\n");
    }
    std::printf("tie rule: the first point in ParameterGrid order among those of rank 1 (as GridSearchCV.best_index_)\n");
    std::printf("best_params: C=%g gamma=%g\n", rows[best].C, rows[best].gamma);
    std::printf("best_score: %.6f\n\n", rows[best].mean);

    // 2. Randomized search over the same space: 10 independent draws from the
    //    16 points, so a point can come twice. One job, so that "first to
    //    finish" (the tuner's tie-break) is "lowest trial number".
    tunekit::tuner random{space, tunekit::random_sampler{{.seed = 42}}, maximize};
    random.optimize(objective, {.n_trials = 10, .n_jobs = 1});
    std::printf("random search (tunekit random_sampler, seed 42)\n");
    for (const tunekit::frozen_trial& t : random.trials()) {
        std::printf("trial %lld C=%g gamma=%g mean_test_score=%.6f\n", static_cast<long long>(t.number),
                    t.param<double>("C"), t.param<double>("gamma"), t.value());
    }
    const svm_params random_best = random.best_params();
    std::printf("random best: C=%g gamma=%g score=%.6f (trial %lld; ties go to the first to finish)\n",
                random_best.C, random_best.gamma, random.best_value(),
                static_cast<long long>(random.best_trial().number));

    std::printf("wall time: %.2f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count());
    return 0;
}

int main(int argc, char** argv) {
    // --small is accepted like in every example; the full run already takes well under a second.
    const auto options = examples::parse_options(argc, argv, "RBF SVM (libsvm) on iris: grid and random search with tunekit");
    try {
        return run(options);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "svm_iris: %s\n", e.what());
        return 1;
    }
}
