// The SQLite storage's header in a program that does not link tunekit::sqlite
// (so TUNEKIT_HAS_SQLITE is not defined): the error names the target to link,
// not a missing symbol at link time.
#ifdef TUNEKIT_COMPILE_FAIL_CONTROL
#define TUNEKIT_HAS_SQLITE 1  // what linking tunekit::sqlite defines
#endif
#include <tunekit/storage/sqlite.hpp>

int main() {}
