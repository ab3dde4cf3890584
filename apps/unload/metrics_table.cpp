#include "metrics_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

namespace unload::cli {

namespace {

struct Row {
  std::string_view metric;  // name in sim::metric_fields()
  std::string_view label;
  std::string_view unit;
  int decimals;
};

struct Group {
  std::string_view title;
  std::vector<Row> rows;
};

const std::vector<Group>& groups() {
  static const std::vector<Group> kGroups = {
      {"Heart and output",
       {{"hr_bpm", "heart rate", "/min", 0},
        {"co_L_min", "cardiac output", "L/min", 2},
        {"co_native_L_min", "native output (aortic valve)", "L/min", 2},
        {"ci_L_min_m2", "cardiac index", "L/min/m2", 2},
        {"sv_mL", "stroke volume", "mL", 1},
        {"ef_pct", "ejection fraction", "%", 1}}},
      {"Left ventricle",
       {{"lvedv_mL", "end-diastolic volume (LVEDV)", "mL", 1},
        {"lvesv_mL", "end-systolic volume (LVESV)", "mL", 1},
        {"lvedp_mmHg", "end-diastolic pressure (LVEDP)", "mmHg", 1},
        {"lvesp_mmHg", "end-systolic pressure", "mmHg", 1},
        {"lv_peak_mmHg", "peak systolic pressure", "mmHg", 1},
        {"dpdt_max_mmHg_s", "dP/dt max", "mmHg/s", 0}}},
      {"Arterial pressure",
       {{"aop_sys_mmHg", "aortic systolic", "mmHg", 1},
        {"aop_dia_mmHg", "aortic diastolic", "mmHg", 1},
        {"map_mmHg", "mean arterial pressure (MAP)", "mmHg", 1},
        {"svr_wood", "systemic vascular resistance", "Wood units", 2}}},
      {"Right heart and lungs",
       {{"rap_mmHg", "right atrial pressure (RAP)", "mmHg", 1},
        {"pap_sys_mmHg", "pulmonary artery systolic", "mmHg", 1},
        {"pap_dia_mmHg", "pulmonary artery diastolic", "mmHg", 1},
        {"pap_mean_mmHg", "pulmonary artery mean", "mmHg", 1},
        {"pcwp_mmHg", "wedge pressure (PCWP)", "mmHg", 1}}},
      {"Energetics",
       {{"sw_mmHg_mL", "stroke work", "mmHg*mL", 0},
        {"pva_mmHg_mL", "pressure-volume area (PVA)", "mmHg*mL", 0},
        {"cpo_W", "cardiac power output (CPO)", "W", 2}}},
      {"Coronary circulation",
       {{"coronary_flow_mL_min", "total coronary flow", "mL/min", 0},
        {"coronary_lad_mL_min", "LAD", "mL/min", 0},
        {"coronary_lcx_mL_min", "LCx", "mL/min", 0},
        {"coronary_rca_mL_min", "RCA", "mL/min", 0},
        {"coronary_left_diastolic_pct", "left coronary flow in diastole", "%", 0},
        {"cpp_mmHg", "perfusion pressure (Ao dia - LVEDP)", "mmHg", 1}}},
      {"Blood", {{"blood_volume_mL", "total blood volume", "mL", 0}}},
  };
  return kGroups;
}

const sim::MetricField* field_named(std::string_view name) {
  const auto fields = sim::metric_fields();
  const auto it = std::find_if(fields.begin(), fields.end(),
                               [&](const sim::MetricField& f) { return f.name == name; });
  return it == fields.end() ? nullptr : &*it;
}

void append_row(std::string& out, std::string_view label, double value, int decimals,
                std::string_view unit) {
  fmt::format_to(std::back_inserter(out), "  {:<36}{:>10.{}f}  {}\n", label, value, decimals, unit);
}

}  // namespace

std::string metrics_table(const sim::BeatMetrics& metrics) {
  std::string out;
  std::set<std::string_view> shown;
  for (const auto& group : groups()) {
    fmt::format_to(std::back_inserter(out), "\n{}\n", group.title);
    for (const auto& row : group.rows) {
      const sim::MetricField* field = field_named(row.metric);
      if (!field) continue;  // a metric the simulation no longer reports
      append_row(out, row.label, field->get(metrics), row.decimals, row.unit);
      shown.insert(row.metric);
    }
  }
  bool other = false;
  for (const auto& field : sim::metric_fields()) {
    if (shown.count(field.name)) continue;
    if (!std::exchange(other, true)) out += "\nOther\n";
    append_row(out, field.name, field.get(metrics), 3, "");
  }
  return out;
}

}  // namespace unload::cli
