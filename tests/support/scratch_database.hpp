#pragma once

// Scratch PostgreSQL databases on the test server (tests/support/postgres.hpp
// says how the tests find it): tests that change the schema, and the
// fleet-start tests that need a database nobody has opened yet.

#include <tunekit/storage/postgres_connection.hpp>

#include <string>
#include <utility>

#include "support/postgres.hpp"

namespace tunekit::testing {

/// The URL of another database on the same server.
inline std::string with_database(const std::string& url, const std::string& db) {
  const auto slash = url.find('/', url.find("://") + 3);
  const auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + db + (query == std::string::npos ? "" : url.substr(query));
}

/// A scratch database, dropped at the end (tests that change the schema).
class scratch_database {
 public:
  explicit scratch_database(std::string admin_url) : admin_(std::move(admin_url)), name_(unique_db_name()) {
    tunekit::detail::postgres_connection c(admin_);
    c.execute("CREATE DATABASE " + name_, {});
  }
  ~scratch_database() {
    try {
      tunekit::detail::postgres_connection c(admin_);
      c.execute("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)", {});
    } catch (...) {
    }
  }
  scratch_database(const scratch_database&) = delete;
  scratch_database& operator=(const scratch_database&) = delete;
  std::string url() const { return with_database(admin_, name_); }

 private:
  static std::string unique_db_name() {
    std::string n = unique_name("tunekit_scratch");
    for (char& ch : n)
      if (ch == '-') ch = '_';
    return n;
  }
  std::string admin_, name_;
};

}  // namespace tunekit::testing
