// The Model: everything about a run that does not change while it runs (MuJoCo's mjModel).
//
//   Model = patient (parameters) + attached device blocks + numerics (integrator, sampling grids,
//           control tick) + what follows from them (the plant's derived constants, the beat
//           metrics of the devices, the waveform columns, a fingerprint).
//
// A Model is built once and shared read-only (std::shared_ptr<const Model>) by any number of
// Sessions and threads; everything a run changes lives in a State (state.hpp). Building one does
// not integrate anything.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "unload/core/signals.hpp"
#include "unload/physio/circulation.hpp"
#include "unload/sim/beat_metrics.hpp"
#include "unload/sim/integrator.hpp"

namespace unload::sim {

struct SimulationOptions {
  IntegratorKind integrator = IntegratorKind::production;
  std::optional<IntegratorOptions> tolerances;  // default_options(integrator) when empty
  // Beat metrics: every sample_interval_s while the ventricles contract (from the R wave to the
  // end of their activation's rise and fall, where dP/dt max, end-systole and the loop's corners
  // lie), every relaxed_sample_interval_s after it (diastole: smooth signals that only enter
  // means). dP/dt is exact at each sample.
  double sample_interval_s = 0.005;
  double relaxed_sample_interval_s = 0.010;
  double history_interval_s = 0.02;  // baroreflex delay line (delays are 0.2 s or more)
  // Control tick: how often attached consoles receive sensor frames. 100 Hz resolves the
  // pulsatility of the placement signal and the motor current (30 samples per beat at 200/min),
  // what a console needs for position and suction; the real signals are not richer than that.
  double control_interval_s = 0.01;
};

// One waveform column of a device reading: "impella-cp.motor_current_mA".
struct DeviceColumn {
  std::string name;
  std::string_view unit, description;
  std::size_t reading = 0;  // index into Observables::device_readings
  Signal signal = Signal::none;
};

class Model {
 public:
  // Throws InputError for options out of range, or devices that cannot be attached together.
  Model(const physio::PatientParameters& patient,
        std::vector<std::shared_ptr<const physio::DeviceBlock>> devices = {},
        SimulationOptions options = {});

  const physio::Circulation& plant() const { return plant_; }
  const physio::PatientParameters& patient() const { return plant_.patient(); }
  std::span<const physio::AttachedDevice> devices() const { return plant_.devices(); }
  const SimulationOptions& options() const { return options_; }
  IntegratorOptions tolerances() const;
  const BeatAccumulator& accumulator() const { return accumulator_; }

  // Per-beat metrics of the device readings, in the order of BeatMetrics::device. Keys are unique
  // among themselves and the beat metrics: a key that two devices would share is prefixed with
  // its device's kind ("va-ecmo.pump_speed_rpm").
  std::span<const DeviceMetric> device_metrics() const { return device_metrics_; }
  // Waveform columns of the device readings, after the circulation's observable_columns().
  std::span<const DeviceColumn> device_columns() const { return device_columns_; }

  // Identifies the Model: the patient's parameters, each device's kind and parameters, and the
  // numerics. A State carries the fingerprint of the Model it was made with.
  std::uint64_t fingerprint() const { return fingerprint_; }
  // The patient's part of it (every parameter value): two Models of one patient with different
  // devices share it.
  std::uint64_t patient_fingerprint() const { return patient_fingerprint_; }

  // Size of the reflex delay line a State of this Model holds (doubles).
  std::size_t history_size() const { return history_size_; }

 private:
  physio::Circulation plant_;
  SimulationOptions options_;
  std::vector<DeviceMetric> device_metrics_;
  std::vector<DeviceColumn> device_columns_;
  BeatAccumulator accumulator_;
  std::uint64_t fingerprint_ = 0, patient_fingerprint_ = 0;
  std::size_t history_size_ = 0;
};

// Fingerprint of a patient's parameters (every value of physio::parameter_specs(), and whether the
// baroreflex is on).
std::uint64_t patient_fingerprint(const physio::PatientParameters& patient);

}  // namespace unload::sim
