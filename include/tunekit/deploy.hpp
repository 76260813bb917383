#pragma once

/// Deployment: best-configuration export and typed read-back, resource
/// sizing from measured trials, Kubernetes manifests for tuning and serving,
/// and autoscaled serving sized from a load benchmark.
#include "deploy/autoscaling.hpp"
#include "deploy/choose.hpp"
#include "deploy/export.hpp"
#include "deploy/kubernetes.hpp"
#include "deploy/sizing.hpp"
