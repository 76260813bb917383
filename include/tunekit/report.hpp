#pragma once

/// The report module: parameter importances (PED-ANOVA) and the
/// self-contained HTML report of a study (docs/report.md).
#include "report/html.hpp"
#include "report/importance.hpp"
