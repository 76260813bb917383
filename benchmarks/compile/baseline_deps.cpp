// Compile-cost input (e): the dependencies' headers only, doing trivial
// work with each — the floor a tunekit TU is compared against.
#include <Eigen/Dense>
#include <boost/math/distributions/normal.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>

int main() {
  Eigen::MatrixXd a = Eigen::MatrixXd::Identity(3, 3);
  Eigen::VectorXd b = Eigen::VectorXd::Ones(3);
  const Eigen::VectorXd x = a.llt().solve(b);
  const boost::math::normal_distribution<double> normal(0.0, 1.0);
  nlohmann::json j;
  j["x"] = x.sum();
  j["cdf"] = boost::math::cdf(normal, 0.5);
  std::puts(j.dump().c_str());
}
