#pragma once

// Every header of the LibTorch integration includes this first: without the
// tunekit::torch target, LibTorch's include directories are missing and the
// first error would name <torch/...>, not the target to link.
#if !defined(TUNEKIT_HAS_TORCH)
#error "tunekit/integrations/torch.hpp (the LibTorch integration) needs the CMake target tunekit::torch: target_link_libraries(<your target> PRIVATE tunekit::torch) (it defines TUNEKIT_HAS_TORCH and links LibTorch and tunekit::pruning; without CMake, define TUNEKIT_HAS_TORCH, TUNEKIT_HAS_PRUNING and link LibTorch yourself)"
#endif
#if !defined(TUNEKIT_HAS_PRUNING)
#error "tunekit/integrations/torch.hpp needs the CMake target tunekit::pruning too (tunekit::torch links it: target_link_libraries(<your target> PRIVATE tunekit::torch))"
#endif
