// The simulation loop: owns time, the integrator, the beat clock, the baroreflex's history and the
// beat recorder. It is the only place where the plant's state is advanced.
//
// Time is cut at every beat (R wave), where the activation functions restart, and the integrator
// restarts there. Between cuts the integrator takes free steps; samples on two uniform grids are
// interpolated from each accepted step:
//   - the baroreflex's delay line, on a uniform grid in absolute time (history_interval_s);
//   - the beat metrics, on a grid locked to each beat's start (sample_interval_s while the
//     ventricles contract, relaxed_sample_interval_s after), so that a periodic solution is
//     sampled at the same phases every beat;
//     neither depends on the output rate, so recording waveforms never changes the trajectory;
//   - the output grid (advance_to's output_interval_s) feeds the observer (waveform writers).
// After construction nothing in the loop allocates.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

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
};

class SimulationObserver {
 public:
  virtual ~SimulationObserver() = default;
  virtual void on_sample(const physio::Observables& /*sample*/) {}
  virtual void on_beat(const BeatMetrics& /*beat*/) {}
};

class Simulation final : private OdeSystem {
 public:
  explicit Simulation(const physio::PatientParameters& patient, SimulationOptions options = {},
                      std::vector<std::shared_ptr<const physio::DeviceBlock>> devices = {},
                      std::vector<physio::DeviceSettings> device_settings = {});
  ~Simulation() override;
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Advances to t_end_s. When observer is set, it receives every completed beat and, if
  // output_interval_s > 0, a sample every output_interval_s.
  void advance_to(double t_end_s, SimulationObserver* observer = nullptr,
                  double output_interval_s = 0.0);

  // Advances to the end of the current beat (no extra cut inside the beat).
  void advance_one_beat(SimulationObserver* observer = nullptr, double output_interval_s = 0.0);

  double time() const { return t_; }
  std::span<const double> state() const { return y_; }
  const physio::Circulation& plant() const { return plant_; }
  // Run-time inputs (regional contractility); changes take effect at once.
  physio::PlantInputs& inputs() { return inputs_; }
  // Changes one setting of attached device k (a timeline event, an operator or a console):
  // the right-hand side changes here, so the integrator restarts.
  void set_device_setting(std::size_t device, std::size_t slot, double value);
  // Keys of the device metrics in BeatMetrics::device, in order (e.g. "pump_flow_L_min").
  const std::vector<std::string>& device_metric_keys() const { return device_metric_keys_; }
  // Waveform columns of the device readings: name ("impella-cp.motor_current_mA") and the index
  // into Observables::device_readings.
  const std::vector<std::pair<std::string, std::size_t>>& device_columns() const {
    return device_columns_;
  }
  int completed_beats() const { return beats_done_; }
  // The last completed beats, oldest first (at most kRecentBeats).
  std::span<const BeatMetrics> recent_beats() const;
  IntegratorStats integrator_stats() const { return integrator_->stats(); }
  // Observables at the current state.
  physio::Observables observe();

  static constexpr std::size_t kRecentBeats = 32;

 private:
  std::size_t size() const override { return plant_.state_size(); }
  void rhs(double t, const double* y, double* dydt) override;
  void error_offsets(std::span<double> offsets) const override;
  void record_history(double t);
  void record_metrics(double t);
  void end_beat(SimulationObserver* observer);
  // Lays out the current beat's metric grid; metric_time(k) is its k-th sample (0: the R wave).
  void plan_metric_grid();
  double metric_time(long k) const;

  physio::Circulation plant_;
  // Declared before beat_, whose construction fills them.
  std::vector<std::string> device_metric_keys_;
  std::vector<std::pair<std::string, std::size_t>> device_columns_;
  SimulationOptions options_;
  physio::PlantInputs inputs_;
  physio::PlantWorkspace integration_ws_, sample_ws_;
  physio::EfferentHistory history_;
  std::unique_ptr<Integrator> integrator_;
  BeatAccumulator beat_;
  std::vector<double> y_, scratch_y_, scratch_dydt_;
  double t_ = 0;
  long next_history_ = 1;   // index on the delay line's grid (absolute time)
  long next_metric_ = 1;    // index on the metrics grid (from the current beat's start)
  long dense_metrics_ = 0;  // samples of the current beat on the dense part of its grid
  long output_index_ = 0;   // next sample on the output grid
  int beats_done_ = 0;
  std::array<BeatMetrics, kRecentBeats> recent_{};
  mutable std::array<BeatMetrics, kRecentBeats> ordered_{};
  physio::Observables obs_{};
};

// Periodic steady state: the mean metrics of the last `average_beats` beats differ from those
// `lag_beats` beats earlier by less than `tolerance` (relative), for `consecutive_beats` beats in
// a row. Averaging damps the beat-to-beat jitter of the adaptive integrator (about 1e-3 at the
// production tolerances); the lag catches the slow drift of the baroreflex's effectors, whose
// time constants span tens of beats. average_beats + lag_beats must stay below kRecentBeats.
struct SteadyStateOptions {
  double tolerance = 1e-3;
  int lag_beats = 10;
  int consecutive_beats = 10;
  int max_beats = 3000;
  int average_beats = 10;
};

struct SteadyStateResult {
  bool reached = false;
  int beats_to_steady = 0;  // beats run when the criterion was first met
  double last_change = 0;   // largest relative change between the last two beats
  BeatMetrics average;      // mean of the last average_beats beats
};

SteadyStateResult run_to_steady_state(Simulation& sim, const SteadyStateOptions& options = {},
                                      SimulationObserver* observer = nullptr);

// Largest relative change between two beats over the metrics the steady-state test watches.
double relative_change(const BeatMetrics& a, const BeatMetrics& b);

}  // namespace unload::sim
