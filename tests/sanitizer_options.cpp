// Run-time options of the sanitizers, linked into the instrumented test
// executables only (see TUNEKIT_TEST_SANITIZERS in tests/CMakeLists.txt).
// The environment (ASAN_OPTIONS, ...) still overrides these.

extern "C" {

// NOLINTBEGIN(readability-identifier-naming): names fixed by the sanitizer runtimes.
const char* __asan_default_options() {
    return "detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:"
           "check_initialization_order=1:strict_init_order=1";
}

const char* __ubsan_default_options() {
    return "print_stacktrace=1:halt_on_error=1";
}

const char* __tsan_default_options() {
    return "halt_on_error=1:second_deadlock_stack=1";
}
// NOLINTEND(readability-identifier-naming)

}
