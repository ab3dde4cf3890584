#include "unload/sim/model.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "unload/core/error.hpp"
#include "unload/core/fingerprint.hpp"

namespace unload::sim {

namespace {

// Version of the numerics' meaning: part of every fingerprint, so that a State saved by a build
// whose State layout differs is refused. Raise it when a field of State changes meaning.
constexpr std::uint64_t kStateLayout = 3;  // 3: the baroreflex's high-cut state

std::vector<DeviceMetric> collect_device_metrics(const physio::Circulation& plant) {
  std::vector<DeviceMetric> out;
  for (const auto& d : plant.devices()) {
    const auto specs = d.block->reading_specs();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const auto& r = specs[i];
      if (r.summary == physio::BeatSummary::none || r.summary_key.empty()) continue;
      if (out.size() == BeatMetrics::max_device_metrics) {
        throw InputError("too many device metrics (at most " +
                         std::to_string(BeatMetrics::max_device_metrics) +
                         "): attach fewer devices");
      }
      out.push_back({std::string(r.summary_key), std::string(r.summary_label),
                     std::string(r.summary_unit), std::string(r.description),
                     std::string(d.block->kind()), d.reading_offset + i, r.summary,
                     r.summary_scale});
    }
  }
  // Keys never collide: with the beat metrics, or between devices (prefix with the kind).
  std::set<std::string> taken;
  for (const auto& f : metric_fields()) taken.insert(std::string(f.name));
  std::multiset<std::string> seen;
  for (const auto& m : out) seen.insert(m.key);
  for (auto& m : out) {
    if (taken.count(m.key) || seen.count(m.key) > 1) m.key = m.device + "." + m.key;
    if (!taken.insert(m.key).second) {
      throw InputError("two devices report the metric '" + m.key + "'");
    }
  }
  return out;
}

std::vector<DeviceColumn> collect_device_columns(const physio::Circulation& plant) {
  std::vector<DeviceColumn> out;
  for (const auto& d : plant.devices()) {
    const auto specs = d.block->reading_specs();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      out.push_back({std::string(d.block->kind()) + "." + std::string(specs[i].name), specs[i].unit,
                     specs[i].description, d.reading_offset + i, specs[i].signal});
    }
  }
  return out;
}

}  // namespace

std::uint64_t patient_fingerprint(const physio::PatientParameters& patient) {
  Fingerprint f;
  f.add(kStateLayout);
  physio::PatientParameters p = patient;  // the specs' accessors take a mutable patient
  for (const auto& spec : physio::parameter_specs()) f.add(spec.key).add(spec.field(p));
  f.add("baroreflex.enabled").add(patient.baroreflex.enabled ? 1.0 : 0.0);
  return f.value();
}

Model::Model(const physio::PatientParameters& patient,
             std::vector<std::shared_ptr<const physio::DeviceBlock>> devices,
             SimulationOptions options)
    : plant_(patient, std::move(devices)),
      options_(options),
      device_metrics_(collect_device_metrics(plant_)),
      device_columns_(collect_device_columns(plant_)),
      accumulator_(physio::body_surface_area_m2(patient.body), patient.left_ventricle,
                   device_metrics_) {
  for (double v : {options_.sample_interval_s, options_.relaxed_sample_interval_s,
                   options_.history_interval_s, options_.control_interval_s}) {
    if (!(v > 0 && v <= 1.0)) {
      throw InputError("the sample, history and control intervals must be in (0, 1] s");
    }
  }
  if (options_.tolerances) {
    const auto& t = *options_.tolerances;
    if (!(t.relative_tolerance > 0 && t.absolute_tolerance > 0 && t.max_step_s > 0)) {
      throw InputError("integrator tolerances and the largest step must be positive");
    }
  }
  physio::EfferentHistory h;
  h.reset(0.0, options_.history_interval_s, plant_.longest_reflex_delay_s() + 0.5,
          plant_.efferent_activity_at_rest());
  history_size_ = h.size();

  patient_fingerprint_ = sim::patient_fingerprint(patient);
  Fingerprint f;
  f.add(patient_fingerprint_);
  for (const auto& d : plant_.devices()) {
    f.add(d.block->kind()).add(d.block->parameter_fingerprint());
  }
  const IntegratorOptions tol = tolerances();
  f.add(to_string(options_.integrator))
      .add(tol.relative_tolerance)
      .add(tol.absolute_tolerance)
      .add(tol.max_step_s)
      .add(options_.sample_interval_s)
      .add(options_.relaxed_sample_interval_s)
      .add(options_.history_interval_s)
      .add(options_.control_interval_s);
  fingerprint_ = f.value();
}

IntegratorOptions Model::tolerances() const {
  return options_.tolerances.value_or(default_options(options_.integrator));
}

}  // namespace unload::sim
