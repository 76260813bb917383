#pragma once

/// Compiled mode, as spdlog's SPDLOG_COMPILED_LIB and {fmt}'s library mode.
///
/// tunekit is header-only by default. Its heavy, user-type-independent code
/// (the TPE and GP samplers, the journal and memory storages, ...) is written
/// as class templates `detail::X_impl<void>` so that a translation unit
/// instantiates only what it uses. Linking the CMake target
/// `tunekit::compiled` defines `TUNEKIT_COMPILED_LIB`: each such template is
/// then declared `extern template` here, in the header that defines it, and
/// instantiated once, in the static library (`src/*.cpp`), instead of in every
/// translation unit that uses it. Class layouts are the same in both modes,
/// so a program may mix translation units of either mode.
///
/// The library is built with one set of ABI-relevant options; a consumer
/// compiled with other ones fails to link, with an undefined symbol that
/// names the target and the option (see `TUNEKIT_COMPILED_LIB_KEY` below).

#if defined(TUNEKIT_COMPILED_LIB) && !defined(TUNEKIT_BUILDING_COMPILED_LIB)
// `TUNEKIT_EXTERN_TEMPLATE(class detail::X_impl<void>);` after the template.
#define TUNEKIT_EXTERN_TEMPLATE(...) extern template __VA_ARGS__
#else
// Header-only mode, and the library's own sources (which hold the explicit
// instantiation definitions, src/*.cpp).
#define TUNEKIT_EXTERN_TEMPLATE(...) static_assert(true, "")
#endif

// Options that change the layout of standard containers, and so of every
// instantiated tunekit class: the library and its consumers must agree.
#if defined(_GLIBCXX_DEBUG)
#define TUNEKIT_DETAIL_KEY_DEBUG GLIBCXX_DEBUG_on
#else
#define TUNEKIT_DETAIL_KEY_DEBUG GLIBCXX_DEBUG_off
#endif
#if defined(_GLIBCXX_USE_CXX11_ABI) && _GLIBCXX_USE_CXX11_ABI == 0
#define TUNEKIT_DETAIL_KEY_ABI GLIBCXX_USE_CXX11_ABI_0
#else
#define TUNEKIT_DETAIL_KEY_ABI GLIBCXX_USE_CXX11_ABI_1
#endif

#define TUNEKIT_DETAIL_CAT3(a, b, c) a##__##b##__##c
#define TUNEKIT_DETAIL_KEY(a, b, c) TUNEKIT_DETAIL_CAT3(a, b, c)

/// The symbol the library defines and every compiled-mode translation unit
/// refers to. A consumer that defines TUNEKIT_COMPILED_LIB without linking
/// the library, or with other ABI options, gets e.g.
/// `undefined reference to
/// tunekit::detail::link_the_tunekit_compiled_target_built_with__GLIBCXX_DEBUG_on__GLIBCXX_USE_CXX11_ABI_1`.
#define TUNEKIT_COMPILED_LIB_KEY \
  TUNEKIT_DETAIL_KEY(link_the_tunekit_compiled_target_built_with, TUNEKIT_DETAIL_KEY_DEBUG, TUNEKIT_DETAIL_KEY_ABI)

#if defined(TUNEKIT_COMPILED_LIB)
namespace tunekit::detail {
extern const int TUNEKIT_COMPILED_LIB_KEY;
#if !defined(TUNEKIT_BUILDING_COMPILED_LIB)
namespace {
// Kept even when unused, so that the reference reaches the linker.
[[gnu::used]] const int* const compiled_lib_link_check = &TUNEKIT_COMPILED_LIB_KEY;
}  // namespace
#endif
}  // namespace tunekit::detail
#endif
