# The optional component tunekit::torch (include/tunekit/integrations/torch*):
# tunekit::pruning's masks kept on a torch::nn::Module through training,
# structured pruning made physical in smaller Linear/Conv2d layers, tunekit's
# LR schedules driving torch::optim parameter groups, per-epoch reporting with
# early stopping and checkpoints for PBT. Included from the top-level
# CMakeLists.txt after the pruning component was looked for; the generic loop
# there creates, verifies and installs the target (it defines TUNEKIT_HAS_TORCH).
#
#   TUNEKIT_WITH_TORCH   AUTO (default): built when LibTorch and tunekit::pruning's xtensor are found
#                        ON: both are required (configuring fails without them)
#                        OFF: not built, LibTorch not looked for
#
#   TUNEKIT_VERIFY_TORCH_HEADERS  (default: TUNEKIT_VERIFY_HEADERS) whether the
#                        header check compiles this component's headers too. Five
#                        of them are LibTorch translation units of 14-17 s of CPU
#                        (~80 s together), so the `ci` preset turns it off; the
#                        tests' translation unit includes every one of them anyway.
#
# LibTorch is found through its own package config (Debian 12: libtorch-dev
# 1.13.1, /usr/lib/x86_64-linux-gnu/cmake/Torch), which works as shipped.

include("${CMAKE_CURRENT_LIST_DIR}/integration-component.cmake")
tunekit_integration_component(torch LibTorch)

option(TUNEKIT_VERIFY_TORCH_HEADERS "Also compile each header of tunekit::torch on its own (see TUNEKIT_VERIFY_HEADERS)"
    ${TUNEKIT_VERIFY_HEADERS})

if(_tunekit_torch_headers AND NOT _tunekit_with_torch STREQUAL "OFF")
  list(APPEND _tunekit_components torch)
  if(NOT "pruning" IN_LIST TUNEKIT_AVAILABLE_COMPONENTS)
    if(_tunekit_with_torch STREQUAL "ON")
      message(FATAL_ERROR "TUNEKIT_WITH_TORCH = ON needs the tunekit::pruning component, which is "
          "disabled (xtensor 0.24 not found; Debian: xtensor-dev)")
    endif()
  else()
    if(NOT TARGET torch)
      if(_tunekit_with_torch STREQUAL "ON")
        find_package(Torch REQUIRED)
      else()
        find_package(Torch QUIET)
      endif()
    endif()
    # LibTorch 1.13's headers do not compile as C++20 with clang 14 and
    # libstdc++ 12 (c10::IValue is incomplete where C++20's constexpr
    # std::vector needs it: 11 errors from <torch/nn/module.h> alone; they do
    # as C++17, and with g++ 12 as C++20). With Clang, check once (a
    # try-compile of ~10 s, cached) rather than fail later in our targets.
    if(TARGET torch AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
      include(CheckCXXSourceCompiles)
      get_target_property(CMAKE_REQUIRED_INCLUDES torch INTERFACE_INCLUDE_DIRECTORIES)  # also for a parent's own target
      set(_tunekit_saved_std "${CMAKE_CXX_STANDARD}")
      set(CMAKE_CXX_STANDARD 20)  # honoured by the try-compile (CMP0067); a -std flag would come before CMake's own
      set(CMAKE_REQUIRED_QUIET ON)
      set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
      check_cxx_source_compiles("#include <torch/nn/module.h>\nint tunekit_probe() { return 0; }"
          TUNEKIT_TORCH_HEADERS_COMPILE_AS_CXX20)
      unset(CMAKE_REQUIRED_INCLUDES)
      if(_tunekit_saved_std)
        set(CMAKE_CXX_STANDARD "${_tunekit_saved_std}")
      else()
        unset(CMAKE_CXX_STANDARD)
      endif()
      unset(_tunekit_saved_std)
      unset(CMAKE_REQUIRED_QUIET)
      unset(CMAKE_TRY_COMPILE_TARGET_TYPE)
      if(NOT TUNEKIT_TORCH_HEADERS_COMPILE_AS_CXX20)
        set(_tunekit_torch_why "LibTorch's headers do not compile as C++20 with ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION} (clang 14 + libstdc++ 12 fail in c10/ivalue; use g++)")
        if(_tunekit_with_torch STREQUAL "ON")
          message(FATAL_ERROR "TUNEKIT_WITH_TORCH = ON, but ${_tunekit_torch_why}")
        endif()
        message(STATUS "tunekit: component 'torch' disabled: ${_tunekit_torch_why}")
        set(_tunekit_torch_unusable TRUE)
      endif()
    endif()
    if(TARGET torch AND NOT _tunekit_torch_unusable)
      # TORCH_LIBRARIES: torch, torch_library and libc10 (the package config's list).
      if(NOT TORCH_LIBRARIES)
        set(TORCH_LIBRARIES torch)
      endif()
      set(_tunekit_torch_deps tunekit_pruning ${TORCH_LIBRARIES})
      list(APPEND TUNEKIT_AVAILABLE_COMPONENTS torch)
    endif()
  endif()
endif()
unset(_tunekit_with_torch)
unset(_tunekit_torch_unusable)
unset(_tunekit_torch_why)
