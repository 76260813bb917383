// libFuzzer target for the journal reader: the bytes are a journal file.
// Opening it must either load it or throw tunekit::error (storage_error for
// a bad record, invalid_argument never escapes); never crash, hang or leak.
// When it loads, the state it read must survive a write and a re-read.
//
// Build and run (see docs/storage.md):
//   cmake -S . -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DTUNEKIT_BUILD_FUZZERS=ON
//   cmake --build build/fuzz --target journal_fuzz
//   build/fuzz/tests/fuzz/journal_fuzz -max_total_time=600 -max_len=4096 \
//       build/fuzz/journal-corpus tests/fuzz/corpus/journal

#include <tunekit/detail/json_line.hpp>
#include <tunekit/storage/journal.hpp>

#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace {

std::filesystem::path scratch() {
  static const std::filesystem::path p =
      std::filesystem::temp_directory_path() / ("tunekit-fuzz-" + std::to_string(::getpid()) + ".log");
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The JSON parser alone, on the whole input.
  try {
    const auto j = tunekit::detail::parse_json_line(bytes);
    std::string text;
    tunekit::detail::write_json(text, j);
    (void)tunekit::detail::parse_json_line(text);  // what we write we read back
  } catch (const tunekit::detail::json_syntax_error&) {
  } catch (const tunekit::invalid_argument&) {  // invalid UTF-8 cannot be written
  }
  // The journal reader on the input as a file.
  const auto path = scratch();
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  try {
    tunekit::journal_storage s(path);
    for (const auto& name : s.study_names()) {
      const auto id = *s.find_study(name);
      (void)s.trials(id);
      (void)s.view(id).finished().size();
    }
    const auto id = s.create_study("fuzz-" + std::to_string(size), std::array{tunekit::direction::minimize});
    (void)s.create_trial(id, {});
    tunekit::journal_storage again(path);
    (void)again.study_by_name("fuzz-" + std::to_string(size));
  } catch (const tunekit::error&) {
  }
  std::filesystem::remove(path);
  return 0;
}
