#pragma once

/// Deployment: best-configuration export and typed read-back, resource
/// sizing from measured trials, Kubernetes manifests for tuning and serving.
#include "deploy/export.hpp"
#include "deploy/kubernetes.hpp"
#include "deploy/sizing.hpp"
