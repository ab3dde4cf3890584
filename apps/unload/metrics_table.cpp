#include "metrics_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string_view>
#include <vector>

namespace unload::cli {

namespace {

// `width`: the label column's, so that every value of the table lines up.
void append_row(std::string& out, std::size_t width, std::string_view label, double value,
                int decimals, std::string_view unit) {
  if (std::isnan(value)) {
    fmt::format_to(std::back_inserter(out), "  {:<{}}{:>10}", label, width, "-");
  } else {
    fmt::format_to(std::back_inserter(out), "  {:<{}}{:>10.{}f}", label, width, value, decimals);
  }
  // A ratio (unit "1") shows no unit.
  if (!unit.empty() && unit != "1") fmt::format_to(std::back_inserter(out), "  {}", unit);
  out += '\n';
}

// Enough decimals for about four significant digits.
int decimals_for(double v) {
  const double a = std::abs(v);
  if (!(a > 0) || a >= 1000) return 0;
  if (a >= 100) return 1;
  if (a >= 10) return 2;
  return 3;
}

}  // namespace

std::string metrics_table(const sim::BeatMetrics& metrics, const sim::Model& model) {
  std::string out;
  const auto devices = model.device_metrics();
  std::size_t width = 40;
  for (const auto& f : sim::metric_fields()) width = std::max(width, f.label.size() + 2);
  for (const auto& d : devices) width = std::max(width, d.label.size() + 2);
  // Groups in the order they first appear in the registry.
  std::vector<std::string_view> groups;
  for (const auto& f : sim::metric_fields()) {
    if (std::find(groups.begin(), groups.end(), f.group) == groups.end()) groups.push_back(f.group);
  }
  for (const auto group : groups) {
    fmt::format_to(std::back_inserter(out), "\n{}\n", group);
    for (const auto& f : sim::metric_fields()) {
      if (f.group == group) append_row(out, width, f.label, f.get(metrics), f.decimals, f.unit);
    }
  }
  if (!devices.empty()) {
    std::string kinds;
    for (const auto& d : model.devices()) {
      kinds += (kinds.empty() ? "" : ", ") + std::string(d.block->kind());
    }
    fmt::format_to(std::back_inserter(out), "\nDevices ({})\n", kinds);
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const double v = metrics.device[i];
      append_row(out, width, devices[i].label, v, decimals_for(v), devices[i].unit);
    }
  }
  return out;
}

}  // namespace unload::cli
