#pragma once

// Every pruning header includes this first: without the tunekit::pruning
// target, xtensor's headers may be missing and the first error would name
// xtensor, not the target to link.
#if !defined(TUNEKIT_HAS_PRUNING)
#error "tunekit/pruning.hpp (weight-pruning masks, xtensor) needs the CMake target tunekit::pruning: target_link_libraries(<your target> PRIVATE tunekit::pruning) (it defines TUNEKIT_HAS_PRUNING and links the library; without CMake, define TUNEKIT_HAS_PRUNING and link it yourself)"
#endif
