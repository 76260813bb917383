// tunekit::compiled (detail/compiled_lib.hpp): the storages' implementations,
// declared `extern template` in their headers in compiled mode, are
// instantiated here once; and the symbol every compiled-mode translation unit
// refers to, which tells a consumer built with other ABI options (or without
// this library) at link time.
#include <tunekit/detail/compiled_lib.hpp>
#include <tunekit/storage/journal.hpp>
#include <tunekit/storage/memory.hpp>

namespace tunekit::detail {

const int TUNEKIT_COMPILED_LIB_KEY = 1;

template class memory_storage_impl<void>;
template class journal_storage_impl<void>;

}  // namespace tunekit::detail
