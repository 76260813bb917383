#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/concepts.hpp"
#include "../core/errors.hpp"

namespace tunekit {

/// Any `storage`, chosen at run time (e.g. from a URL with `open_storage`).
/// A handle like the storages it holds: copies share the same storage.
/// Besides the concept's members it forwards the optional study-management
/// members (`study_names`, `delete_study`, study attributes, `add_trial`,
/// `claim`); a held storage without one throws `state_error` when it is called.
class any_storage {
  struct iface {
    virtual ~iface() = default;
    virtual study_id create_study(std::string_view, std::span<const direction>) = 0;
    virtual std::optional<study_id> find_study(std::string_view) const = 0;
    virtual std::string study_name(study_id) const = 0;
    virtual std::vector<direction> study_directions(study_id) const = 0;
    virtual frozen_trial create_trial(study_id, const frozen_trial&) = 0;
    virtual std::optional<frozen_trial> pop_waiting_trial(study_id) = 0;
    virtual void set_param(std::int64_t, std::string_view, double, const distribution&) = 0;
    virtual void set_intermediate_value(std::int64_t, std::int64_t, double) = 0;
    virtual void set_user_attr(std::int64_t, std::string_view, const nlohmann::json&) = 0;
    virtual frozen_trial finish_trial(std::int64_t, trial_state, std::span<const double>, const resource_usage&,
                                      const std::string&) = 0;
    virtual study_view view(study_id) const = 0;
    virtual frozen_trial trial(std::int64_t) const = 0;
    virtual std::vector<frozen_trial> trials(study_id) const = 0;
    // optional members
    virtual std::vector<std::string> study_names() const = 0;
    virtual void delete_study(study_id) = 0;
    virtual void set_study_user_attr(study_id, std::string_view, const nlohmann::json&) = 0;
    virtual attributes study_user_attrs(study_id) const = 0;
    virtual frozen_trial add_trial(study_id, const frozen_trial&) = 0;
    virtual bool claim(study_id, std::string_view, std::int64_t) = 0;
    virtual void set_system_attr(std::int64_t, std::string_view, const nlohmann::json&) = 0;
    virtual const std::type_info& type() const noexcept = 0;
    virtual void* get() noexcept = 0;
  };

  [[noreturn]] static void unsupported(const char* what) {
    throw state_error(std::string("this storage does not support ") + what);
  }

  template <class S>
  struct model final : iface {
    explicit model(S s) : s(std::move(s)) {}
    S s;
    study_id create_study(std::string_view n, std::span<const direction> d) override { return s.create_study(n, d); }
    std::optional<study_id> find_study(std::string_view n) const override { return s.find_study(n); }
    std::string study_name(study_id id) const override { return s.study_name(id); }
    std::vector<direction> study_directions(study_id id) const override { return s.study_directions(id); }
    frozen_trial create_trial(study_id id, const frozen_trial& r) override { return s.create_trial(id, r); }
    std::optional<frozen_trial> pop_waiting_trial(study_id id) override { return s.pop_waiting_trial(id); }
    void set_param(std::int64_t id, std::string_view n, double v, const distribution& d) override { s.set_param(id, n, v, d); }
    void set_intermediate_value(std::int64_t id, std::int64_t step, double v) override { s.set_intermediate_value(id, step, v); }
    void set_user_attr(std::int64_t id, std::string_view k, const nlohmann::json& v) override { s.set_user_attr(id, k, v); }
    frozen_trial finish_trial(std::int64_t id, trial_state st, std::span<const double> v, const resource_usage& u,
                              const std::string& r) override {
      return s.finish_trial(id, st, v, u, r);
    }
    study_view view(study_id id) const override { return s.view(id); }
    frozen_trial trial(std::int64_t id) const override { return s.trial(id); }
    std::vector<frozen_trial> trials(study_id id) const override { return s.trials(id); }

    std::vector<std::string> study_names() const override {
      if constexpr (requires { s.study_names(); }) return s.study_names();
      else unsupported("listing studies");
    }
    void delete_study(study_id id) override {
      if constexpr (requires { s.delete_study(id); }) s.delete_study(id);
      else unsupported("deleting studies");
    }
    void set_study_user_attr(study_id id, std::string_view k, const nlohmann::json& v) override {
      if constexpr (requires { s.set_study_user_attr(id, k, v); }) s.set_study_user_attr(id, k, v);
      else unsupported("study user attributes");
    }
    attributes study_user_attrs(study_id id) const override {
      if constexpr (requires { s.study_user_attrs(id); }) return s.study_user_attrs(id);
      else unsupported("study user attributes");
    }
    frozen_trial add_trial(study_id id, const frozen_trial& r) override {
      if constexpr (requires { s.add_trial(id, r); }) return s.add_trial(id, r);
      else unsupported("adding finished trials");
    }
    bool claim(study_id id, std::string_view key, std::int64_t number) override {
      if constexpr (requires { s.claim(id, key, number); }) return s.claim(id, key, number);
      else return true;
    }
    void set_system_attr(std::int64_t id, std::string_view k, const nlohmann::json& v) override {
      if constexpr (requires { s.set_system_attr(id, k, v); }) s.set_system_attr(id, k, v);
      else unsupported("trial system attributes");
    }
    const std::type_info& type() const noexcept override { return typeid(S); }
    void* get() noexcept override { return &s; }
  };

 public:
  template <class S>
    requires(!std::is_same_v<std::remove_cvref_t<S>, any_storage> && storage<std::remove_cvref_t<S>>)
  any_storage(S s) : impl_(std::make_shared<model<std::remove_cvref_t<S>>>(std::move(s))) {}  // NOLINT: implicit by design

  study_id create_study(std::string_view n, std::span<const direction> d) { return impl_->create_study(n, d); }
  std::optional<study_id> find_study(std::string_view n) const { return impl_->find_study(n); }
  std::string study_name(study_id id) const { return impl_->study_name(id); }
  std::vector<direction> study_directions(study_id id) const { return impl_->study_directions(id); }
  frozen_trial create_trial(study_id id, const frozen_trial& r) { return impl_->create_trial(id, r); }
  std::optional<frozen_trial> pop_waiting_trial(study_id id) { return impl_->pop_waiting_trial(id); }
  void set_param(std::int64_t id, std::string_view n, double v, const distribution& d) { impl_->set_param(id, n, v, d); }
  void set_intermediate_value(std::int64_t id, std::int64_t step, double v) { impl_->set_intermediate_value(id, step, v); }
  void set_user_attr(std::int64_t id, std::string_view k, const nlohmann::json& v) { impl_->set_user_attr(id, k, v); }
  frozen_trial finish_trial(std::int64_t id, trial_state st, std::span<const double> v, const resource_usage& u,
                            const std::string& r) {
    return impl_->finish_trial(id, st, v, u, r);
  }
  study_view view(study_id id) const { return impl_->view(id); }
  frozen_trial trial(std::int64_t id) const { return impl_->trial(id); }
  std::vector<frozen_trial> trials(study_id id) const { return impl_->trials(id); }

  std::vector<std::string> study_names() const { return impl_->study_names(); }
  void delete_study(study_id id) { impl_->delete_study(id); }
  void set_study_user_attr(study_id id, std::string_view k, const nlohmann::json& v) { impl_->set_study_user_attr(id, k, v); }
  attributes study_user_attrs(study_id id) const { return impl_->study_user_attrs(id); }
  frozen_trial add_trial(study_id id, const frozen_trial& r) { return impl_->add_trial(id, r); }
  bool claim(study_id id, std::string_view key, std::int64_t number) { return impl_->claim(id, key, number); }
  void set_system_attr(std::int64_t id, std::string_view k, const nlohmann::json& v) { impl_->set_system_attr(id, k, v); }

  /// The id of a study that must exist; the error lists the existing ones.
  study_id study_by_name(std::string_view name) const {
    if (auto id = find_study(name)) return *id;
    std::string known;
    try {
      for (const auto& n : study_names()) {
      if (!known.empty()) known += ", ";
      known += detail::quoted(n);
    }
    } catch (const state_error&) {
      known = "studies that cannot be listed";
    }
    throw invalid_argument("no study named " + detail::quoted(name) + "; the storage has " +
                           (known.empty() ? std::string("no studies") : known));
  }

  /// The held storage, if it is an S.
  template <class S>
  S* get_if() noexcept {
    return impl_->type() == typeid(S) ? static_cast<S*>(impl_->get()) : nullptr;
  }

 private:
  std::shared_ptr<iface> impl_;
};

static_assert(storage<any_storage>);

}  // namespace tunekit
