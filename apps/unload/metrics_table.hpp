// The beat metrics as a table a clinician reads: grouped, labelled in words, with units, all from
// the one registry (sim::metric_fields() and the model's device metrics).
#pragma once

#include <string>

#include "unload/sim/beat_metrics.hpp"
#include "unload/sim/model.hpp"

namespace unload::cli {

// One line per metric, grouped under the registry's headings, then the devices' metrics.
std::string metrics_table(const sim::BeatMetrics& metrics, const sim::Model& model);

}  // namespace unload::cli
