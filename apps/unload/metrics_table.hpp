// The beat metrics as a table a clinician reads: grouped, labelled in words, with units.
#pragma once

#include <string>

#include "unload/sim/beat_metrics.hpp"

namespace unload::cli {

// One line per metric, grouped under headings. Every metric of sim::metric_fields() appears:
// those this table does not know yet are listed under "Other" by their field names.
std::string metrics_table(const sim::BeatMetrics& metrics);

}  // namespace unload::cli
