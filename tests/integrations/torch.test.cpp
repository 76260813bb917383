// tunekit::torch: masks on a module's parameters against torch.nn.utils.prune
// (PyTorch 1.13, tests/data/torch/module_prune_reference.json, written by the
// committed generate_module_prune_reference.py), masks kept through optimizer
// steps, gradual pruning, materialisation, LR schedules on parameter groups,
// per-epoch reporting and checkpoints. All on tiny modules: LibTorch's cost
// here is its start-up and this file's compile time, not the arithmetic.
#include <tunekit/integrations/torch.hpp>
#include <tunekit/lr/cosine_annealing.hpp>
#include <tunekit/lr/one_cycle.hpp>
#include <tunekit/lr/scheduled.hpp>
#include <tunekit/pruning/schedule.hpp>
#include <tunekit/pruning/structured.hpp>
#include <tunekit/pruning/unstructured.hpp>
#include <tunekit/samplers/random.hpp>
#include <tunekit/schedulers/pbt.hpp>
#include <tunekit/tuner.hpp>

#include "support/test_helpers.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/activation.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/serialize.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace tt = tunekit::torch;
using Catch::Matchers::Contains;
using tunekit_test::after_three_reports;
using tunekit_test::thrown_message;

namespace {

/// The reference module of generate_module_prune_reference.py.
struct ref_net_impl : ::torch::nn::Module {
  ref_net_impl()
      : fc1(register_module("fc1", ::torch::nn::Linear(12, 16))),
        conv(register_module("conv", ::torch::nn::Conv2d(::torch::nn::Conv2dOptions(4, 6, 3)))),
        fc2(register_module("fc2", ::torch::nn::Linear(16, 5))) {}
  ::torch::nn::Linear fc1;
  ::torch::nn::Conv2d conv;
  ::torch::nn::Linear fc2;
};

const nlohmann::json& torch_prune_reference() {
  static const nlohmann::json j = [] {
    std::ifstream in(std::string(TUNEKIT_TEST_DATA_DIR) + "/torch/module_prune_reference.json");
    REQUIRE(in.good());
    return nlohmann::json::parse(in);
  }();
  return j;
}

/// A ref_net_impl holding the reference weights, bit for bit.
std::shared_ptr<ref_net_impl> reference_net() {
  auto net = std::make_shared<ref_net_impl>();
  ::torch::NoGradGuard no_grad;
  for (auto& item : net->named_parameters()) {
    const auto& p = torch_prune_reference()["parameters"].at(item.key());
    std::vector<float> values;
    for (const auto& b : p["bits"])
      values.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(std::stoul(b.get<std::string>(), nullptr, 16))));
    REQUIRE(static_cast<std::int64_t>(values.size()) == item.value().numel());
    item.value().copy_(::torch::tensor(values).reshape(item.value().sizes()));
  }
  return net;
}

tunekit::prune_amount torch_amount(const nlohmann::json& a) {
  return a.is_number_integer() ? tunekit::count(a.get<std::int64_t>()) : tunekit::fraction(a.get<double>());
}

/// 1 where the tensor is not zero.
std::vector<int> nonzero_flags(const ::torch::Tensor& t) {
  const ::torch::Tensor f = (t != 0).to(::torch::kInt).contiguous().reshape(-1);
  return {f.data_ptr<int>(), f.data_ptr<int>() + f.numel()};
}

std::vector<int> mask_flags(const tunekit::pruning_mask& m) { return {m.begin(), m.end()}; }

}  // namespace

TEST_CASE("torch: parameter masks equal torch.nn.utils.prune's on the same weights", "[integrations][torch]") {
  const auto& ref = torch_prune_reference();
  REQUIRE(ref["cases"].size() >= 10);
  for (const auto& c : ref["cases"]) {
    INFO("case " << c["name"].get<std::string>());
    auto net = reference_net();
    tt::parameter_masks masks(*net);
    for (const auto& call : c["calls"]) {
      const std::string method = call["method"];
      const auto amount = torch_amount(call["amount"]);
      if (method == "l1") {
        masks.prune(call["parameter"].get<std::string>(), tunekit::l1_unstructured{amount});
      } else if (method == "ln") {
        const double n = call["n"].is_string() ? std::numeric_limits<double>::infinity() : call["n"].get<double>();
        masks.prune(call["parameter"].get<std::string>(),
                    tunekit::ln_structured{.amount = amount, .norm = n, .axis = call["dim"].get<std::ptrdiff_t>()});
      } else {
        const auto names = call["parameters"].get<std::vector<std::string>>();
        masks.prune_global(names, {.amount = amount});
      }
    }
    CHECK(masks.names().size() == c["masks"].size());
    for (const auto& [name, expected] : c["masks"].items()) {
      INFO("parameter " << name);
      const auto want = expected.get<std::vector<int>>();
      CHECK(mask_flags(masks.mask(name)) == want);
      // Applied: the parameter is zero exactly where the mask is (no reference weight is 0).
      CHECK(nonzero_flags(*net->named_parameters().find(name)) == want);
      CHECK(nonzero_flags(masks.mask_tensor(name)) == want);
    }
  }
}

TEST_CASE("torch: pruned entries stay zero through SGD, Adam and weight decay", "[integrations][torch]") {
  for (std::uint64_t seed = 0; seed < 6; ++seed) {
    INFO("seed " << seed);
    ::torch::manual_seed(seed);
    ::torch::nn::Sequential net(::torch::nn::Linear(10, 20), ::torch::nn::ReLU(), ::torch::nn::Linear(20, 3));
    tt::parameter_masks masks(*net);
    masks.prune("0.weight", tunekit::l1_unstructured{tunekit::fraction(0.1 * static_cast<double>(seed + 2))});
    masks.prune("2.weight", tunekit::ln_structured{.amount = tunekit::count(1), .norm = 2.0, .axis = 1});
    const auto before = nonzero_flags(net->named_parameters()["0.weight"]);
    std::unique_ptr<::torch::optim::Optimizer> opt;
    if (seed % 2 == 0)
      opt = std::make_unique<::torch::optim::SGD>(net->parameters(),
                                                  ::torch::optim::SGDOptions(0.1).momentum(0.9).weight_decay(1e-2));
    else
      opt = std::make_unique<::torch::optim::Adam>(net->parameters(), ::torch::optim::AdamOptions(1e-2).weight_decay(1e-2));
    const ::torch::Tensor start = net->named_parameters()["0.weight"].detach().clone();
    for (int step = 0; step < 5; ++step) {
      opt->zero_grad();
      net->forward(::torch::randn({8, 10})).pow(2).mean().backward();
      masks.step(*opt);
      // The masked gradient is zero on every pruned entry.
      const auto g = nonzero_flags(net->named_parameters()["0.weight"].grad());
      for (std::size_t i = 0; i < g.size(); ++i)
        if (before[i] == 0) REQUIRE(g[i] == 0);
    }
    CHECK(nonzero_flags(net->named_parameters()["0.weight"]) == before);  // survivors moved, none revived
    CHECK(!::torch::equal(start, net->named_parameters()["0.weight"]));
    CHECK(masks.stats("2.weight").pruned == 3);  // one input column of three rows
  }
}

TEST_CASE("torch: bad parameters and masks are rejected with the parameter's name", "[integrations][torch]") {
  ::torch::nn::Linear fc(4, 3);
  tt::parameter_masks masks(*fc);
  CHECK_THAT(thrown_message<tunekit::invalid_argument>(
                 [&] { masks.set_mask("weight", tunekit::full_mask({4, 3})); }),
             Contains("'weight'") && Contains("[4, 3]") && Contains("[3, 4]"));
  CHECK_THAT(thrown_message<tunekit::invalid_argument>([&] { masks.prune("wieght", tunekit::l1_unstructured{}); }),
             Contains("'wieght'") && Contains("weight, bias"));

  struct odd_impl : ::torch::nn::Module {
    odd_impl() {
      register_parameter("w64", ::torch::randn({3, 3}, ::torch::kDouble));
      register_parameter("counts", ::torch::zeros({4}, ::torch::kLong), /*requires_grad=*/false);
    }
  };
  odd_impl odd;
  tt::parameter_masks odd_masks(odd);
  CHECK_THAT(thrown_message<tunekit::invalid_argument>(
                 [&] { odd_masks.prune("w64", tunekit::l1_unstructured{tunekit::fraction(0.5)}); }),
             Contains("'w64'") && Contains("Double") && Contains("float32"));
  CHECK_THAT(thrown_message<tunekit::invalid_argument>(
                 [&] { odd_masks.set_mask("counts", tunekit::full_mask({4})); }),
             Contains("'counts'") && Contains("Long"));
  const std::vector<std::string> both = {"w64", "counts"};
  CHECK_THAT(thrown_message<tunekit::invalid_argument>([&] { odd_masks.prune_global(both, {}); }),
             Contains("'w64'"));
  CHECK(odd_masks.names().empty());
  CHECK_THAT(thrown_message<tunekit::invalid_argument>([&] { (void)masks.mask("bias"); }), Contains("'bias'"));
}

TEST_CASE("torch: a gradual schedule reaches its final sparsity on the update steps", "[integrations][torch]") {
  for (const bool global : {true, false}) {
    INFO("global " << global);
    ::torch::manual_seed(7);
    ::torch::nn::Sequential net(::torch::nn::Linear(30, 40), ::torch::nn::Linear(40, 10));
    tt::parameter_masks masks(*net);
    const std::vector<std::string> names = {"0.weight", "1.weight"};
    const tunekit::polynomial_schedule agp{
        .final_sparsity = 0.85, .begin_step = 2, .end_step = 20, .frequency = 3, .exponent = 3};
    double last = 0;
    int updates = 0;
    for (std::int64_t step = 0; step <= 25; ++step) {
      updates += masks.prune_on_schedule(step, agp, names, {.global = global});
      const double s = masks.names().empty() ? 0.0 : masks.stats().sparsity();
      CHECK(s >= last);  // never regrows
      // Rounded once over 1600 entries (global), or per layer (1200 and 400 entries).
      if (agp.is_update_step(step)) CHECK(s == Approx(agp.target_sparsity(step)).margin(global ? 0.5 / 1600 : 1.0 / 1600));
      last = s;
    }
    CHECK(updates == 7);  // steps 2, 5, ..., 20
    CHECK(masks.stats().sparsity() == Approx(0.85).margin(1e-3));
    if (!global) CHECK(masks.stats("1.weight").sparsity() == Approx(0.85).margin(1e-3));
  }
}

TEST_CASE("torch: materialised Linear and Conv2d chains compute what the masked ones did", "[integrations][torch]") {
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    INFO("seed " << seed);
    ::torch::manual_seed(seed);
    ::torch::nn::Linear a(9, 24), b(24, 12), c(12, 4);
    ::torch::nn::Sequential masked(a, ::torch::nn::ReLU(), b, ::torch::nn::ReLU(), c);
    tt::parameter_masks masks(*masked);
    // Whole rows out (structured), biases left alone: their act(bias) is folded forward.
    masks.prune("0.weight", tunekit::ln_structured{.amount = tunekit::fraction(0.25 + 0.05 * static_cast<double>(seed))});
    masks.prune("2.weight", tunekit::ln_structured{.amount = tunekit::count(static_cast<std::int64_t>(seed % 5) + 1)});
    masks.prune("2.weight", tunekit::l1_unstructured{tunekit::fraction(0.2)});  // zeros inside kept rows stay
    const std::vector<::torch::nn::Linear> chain = {a, b, c};
    const std::vector<tunekit::pruning_mask> chain_masks = {masks.mask("0.weight"), masks.mask("2.weight"), {}};
    const auto small = tt::materialize(chain, chain_masks);
    REQUIRE(small.size() == 3);
    CHECK(small[0]->weight.size(0) == static_cast<std::int64_t>(tunekit::kept_channels(masks.mask("0.weight")).size()));
    CHECK(small[1]->weight.size(1) == small[0]->weight.size(0));
    CHECK(small[2]->weight.size(0) == 4);
    ::torch::nn::Sequential rebuilt(small[0], ::torch::nn::ReLU(), small[1], ::torch::nn::ReLU(), small[2]);
    CHECK(tt::parameter_count(*rebuilt) < tt::parameter_count(*masked));
    ::torch::NoGradGuard no_grad;
    const ::torch::Tensor x = ::torch::randn({16, 9});
    CHECK(::torch::allclose(masked->forward(x), rebuilt->forward(x), 1e-4, 1e-5));
  }
  // Conv2d: filters out, the next convolution's input channels with them (no padding: exact).
  ::torch::manual_seed(3);
  ::torch::nn::Conv2d c1(::torch::nn::Conv2dOptions(3, 8, 3)), c2(::torch::nn::Conv2dOptions(8, 5, 3).stride(2));
  ::torch::nn::Sequential masked(c1, ::torch::nn::ReLU(), c2);
  tt::parameter_masks masks(*masked);
  masks.prune("0.weight", tunekit::ln_structured{.amount = tunekit::count(3), .norm = 1.0});
  const std::vector<::torch::nn::Conv2d> convs = {c1, c2};
  const std::vector<tunekit::pruning_mask> conv_masks = {masks.mask("0.weight"), {}};
  const auto small = tt::materialize(convs, conv_masks);
  CHECK(small[0]->weight.sizes() == ::torch::IntArrayRef({5, 3, 3, 3}));
  CHECK(small[1]->weight.sizes() == ::torch::IntArrayRef({5, 5, 3, 3}));
  CHECK(small[1]->options.stride()->at(0) == 2);
  ::torch::nn::Sequential rebuilt(small[0], ::torch::nn::ReLU(), small[1]);
  ::torch::NoGradGuard no_grad;
  const ::torch::Tensor x = ::torch::randn({2, 3, 11, 11});
  CHECK(::torch::allclose(masked->forward(x), rebuilt->forward(x), 1e-4, 1e-5));
  // Bad input: a mask of another shape, one mask too few.
  const std::vector<tunekit::pruning_mask> wrong = {tunekit::full_mask({8, 3}), {}};
  CHECK_THAT(thrown_message<tunekit::invalid_argument>([&] { (void)tt::materialize(convs, wrong); }),
             Contains("chain[0].weight") && Contains("[8, 3]"));
  CHECK_THAT(thrown_message<tunekit::invalid_argument>(
                 [&] { (void)tt::materialize(convs, std::span<const tunekit::pruning_mask>(conv_masks).first(1)); }),
             Contains("1 masks for a chain of 2"));
}

TEST_CASE("torch: LR schedules drive the optimizer's parameter groups", "[integrations][torch]") {
  ::torch::nn::Linear fc(3, 2);
  ::torch::optim::SGD sgd(fc->parameters(), ::torch::optim::SGDOptions(0.1).momentum(0.9));
  const tunekit::scheduled_lr cosine{0.1, tunekit::cosine_annealing_lr{{.t_max = 10, .eta_min = 0.001}}};
  tt::optimizer_lr lr(sgd, cosine);
  tunekit::scheduled_lr reference = cosine;
  for (int epoch = 0; epoch < 15; ++epoch) {
    CHECK(sgd.param_groups()[0].options().get_lr() == reference.lr());
    lr.step();
    reference.step();
  }
  // One-cycle cycles SGD's momentum; two groups, one schedule each.
  ::torch::nn::Linear other(2, 2);
  std::vector<::torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(fc->parameters());
  groups.emplace_back(other->parameters());
  ::torch::optim::SGD two(groups, ::torch::optim::SGDOptions(0.1).momentum(0.9));
  using one_cycle = tunekit::scheduled_lr<tunekit::one_cycle_lr>;
  std::vector<one_cycle> per_group = {one_cycle{0.1, tunekit::one_cycle_lr{{.max_lr = 0.5, .total_steps = 20}}},
                                      one_cycle{0.1, tunekit::one_cycle_lr{{.max_lr = 0.05, .total_steps = 20}}}};
  tt::optimizer_lr cyc(two, per_group);
  for (int step = 0; step < 6; ++step) cyc.step();
  for (std::size_t g = 0; g < 2; ++g) {
    const auto& o = static_cast<const ::torch::optim::SGDOptions&>(two.param_groups()[g].options());
    CHECK(o.lr() == cyc.lr(g));
    CHECK(o.momentum() == *cyc.schedule(g).momentum());
  }
  CHECK(cyc.lr(0) == Approx(10 * cyc.lr(1)));
  CHECK(*cyc.schedule(0).momentum() < 0.95);
  CHECK_THAT(thrown_message<tunekit::invalid_argument>([&] { tt::optimizer_lr bad(two, std::vector<one_cycle>{}); }),
             Contains("0 schedules") && Contains("2 parameter groups"));
}

TEST_CASE("torch: the epoch reporter reports, stops pruned trials and stops early", "[integrations][torch]") {
  tunekit::tuner pruning{after_three_reports{}, tunekit::random_sampler{{.seed = 1}}};
  std::vector<int> epochs_run;
  pruning.optimize(
      [&](tunekit::trial& t) {
        tt::epoch_reporter report(t);
        int epoch = 0;
        try {
          for (; epoch < 10; ++epoch) report(epoch, 0.1 * epoch);
        } catch (const tunekit::trial_pruned&) {
          epochs_run.push_back(epoch);
          throw;
        }
        return report.best();
      },
      {.n_trials = 1});
  CHECK(epochs_run == std::vector<int>{2});
  CHECK(pruning.trials().at(0).state == tunekit::trial_state::pruned);

  tunekit::tuner plain{tunekit::random_sampler{{.seed = 1}}};
  plain.optimize(
      [&](tunekit::trial& t) {
        tt::epoch_reporter report(t, {.goal = tunekit::direction::minimize, .patience = 3, .min_delta = 0.01});
        const std::vector<double> losses = {1.0, 0.8, 0.795, 0.7, 0.705, std::nan(""), 0.695, 0.1, 0.05};
        std::int64_t epoch = 0;
        while (report(epoch, losses[static_cast<std::size_t>(epoch)])) ++epoch;
        CHECK(epoch == 6);  // 0.705, NaN and 0.695 (within min_delta) do not improve on 0.7
        CHECK(report.best_epoch() == 3);
        return report.best();
      },
      {.n_trials = 1});
  CHECK(plain.trials().at(0).value() == 0.7);
  CHECK(plain.trials().at(0).intermediate_values.size() == 7);
  tunekit::tuner unused{tunekit::random_sampler{{.seed = 1}}};
  unused.optimize(
      [&](tunekit::trial& t) {
        CHECK_THAT(thrown_message<tunekit::invalid_argument>([&] { tt::epoch_reporter r(t, {.patience = -1}); }),
                   Contains("'patience'"));
        return 0.0;
      },
      {.n_trials = 1});
}

TEST_CASE("torch: a checkpoint restores module, optimizer and masks; training resumes identically", "[integrations][torch]") {
  auto train_steps = [](::torch::nn::Sequential& net, ::torch::optim::Optimizer& opt, tt::parameter_masks& masks,
                        int steps, std::uint64_t seed) {
    ::torch::manual_seed(seed);
    for (int s = 0; s < steps; ++s) {
      opt.zero_grad();
      net->forward(::torch::randn({4, 5})).pow(2).sum().backward();
      masks.step(opt);
    }
  };
  ::torch::manual_seed(11);
  ::torch::nn::Sequential net(::torch::nn::Linear(5, 6), ::torch::nn::Tanh(), ::torch::nn::Linear(6, 2));
  ::torch::optim::Adam opt(net->parameters(), ::torch::optim::AdamOptions(1e-2));
  tt::parameter_masks masks(*net);
  masks.prune("0.weight", tunekit::l1_unstructured{tunekit::fraction(0.5)});
  train_steps(net, opt, masks, 3, 1);
  const tt::checkpoint saved = tt::save_checkpoint(*net, &opt, &masks);
  train_steps(net, opt, masks, 4, 2);
  const ::torch::Tensor uninterrupted = net->named_parameters()["2.weight"].detach().clone();

  // A fresh network, optimizer and mask set resume from the checkpoint.
  ::torch::manual_seed(99);
  ::torch::nn::Sequential copy(::torch::nn::Linear(5, 6), ::torch::nn::Tanh(), ::torch::nn::Linear(6, 2));
  ::torch::optim::Adam copy_opt(copy->parameters(), ::torch::optim::AdamOptions(1e-2));
  tt::parameter_masks copy_masks(*copy);
  tt::load_checkpoint(saved, *copy, &copy_opt, &copy_masks);
  CHECK(mask_flags(copy_masks.mask("0.weight")) == mask_flags(masks.mask("0.weight")));
  train_steps(copy, copy_opt, copy_masks, 4, 2);
  CHECK(::torch::equal(copy->named_parameters()["2.weight"], uninterrupted));  // Adam's moments came along

  // The bytes are LibTorch's archive: torch::load reads them.
  ::torch::nn::Sequential via_torch(::torch::nn::Linear(5, 6), ::torch::nn::Tanh(), ::torch::nn::Linear(6, 2));
  std::istringstream in(saved.module);
  ::torch::load(via_torch, in);
  CHECK(::torch::equal(via_torch->named_parameters()["0.weight"], copy_masks.mask_tensor("0.weight") *
                                                                      via_torch->named_parameters()["0.weight"]));
  // PBT hands the checkpoint on by value.
  tunekit::pbt_scheduler pbt{{.population_size = 3, .perturbation_interval = 2, .max_step = 6, .seed = 5}};
  tunekit::tuner tuner{pbt, pbt.sampler(tunekit::random_sampler{{.seed = 5}})};
  int restored = 0;
  tuner.optimize(
      [&](tunekit::trial& t) -> tunekit::result {
        const double lr = t.suggest_float("lr", 1e-3, 1e-1, {.log = true});
        ::torch::manual_seed(static_cast<std::uint64_t>(t.number()));
        ::torch::nn::Sequential m(::torch::nn::Linear(5, 6), ::torch::nn::Tanh(), ::torch::nn::Linear(6, 2));
        ::torch::optim::SGD o(m->parameters(), ::torch::optim::SGDOptions(lr).momentum(0.5));
        tt::parameter_masks pm(*m);
        std::int64_t step = 0;
        if (auto from = pbt.restore<tt::checkpoint>(t)) {
          tt::load_checkpoint(*from->state, *m, &o, &pm);
          REQUIRE(o.param_groups()[0].options().get_lr() == lr);  // this trial's (explored) lr, not the saved one
          step = from->step + 1;
          ++restored;
        }
        for (; step < 6; ++step) {
          o.zero_grad();
          const auto loss = m->forward(::torch::ones({2, 5})).pow(2).sum();
          loss.backward();
          pm.step(o);
          t.report(step, loss.item<double>());
          if (t.should_prune()) {
            pbt.save(t, tt::save_checkpoint(*m, &o, &pm));
            return tunekit::pruned;
          }
        }
        return m->forward(::torch::ones({2, 5})).pow(2).sum().item<double>();
      },
      {.n_trials = 100});  // ends when every member reached max_step
  CHECK(restored > 0);
}
