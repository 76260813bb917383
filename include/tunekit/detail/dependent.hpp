#pragma once

/// `dependent_t<V, T>` is `T`, spelled so that it depends on the template
/// parameter `V`. A class template `X_impl<class V = void>` that writes its
/// Eigen types as `Eigen::Matrix<dependent_t<V, double>, ...>` has every
/// expression on them checked when `X_impl<void>` is instantiated, not when
/// the header is parsed: a non-dependent Eigen expression in a template is
/// type-checked at its definition, which instantiates Eigen's expression
/// templates in every translation unit that includes the header, used or
/// not (benchmarks/RESULTS.md, "Compile cost"). After instantiation the
/// types are the same (`Eigen::Matrix<dependent_t<void, double>, -1, 1>` is
/// `Eigen::VectorXd`), so the code and its results are unchanged.

namespace tunekit::detail {

template <class V, class T>
struct dependent_type {
  using type = T;
};

template <class V, class T>
using dependent_t = typename dependent_type<V, T>::type;

}  // namespace tunekit::detail
