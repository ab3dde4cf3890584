// The Session: what every front end drives (the command line, and later a live console, Python, an
// FMU, a cohort runner). It runs one State of one Model:
//
//   Session s(model, rest_state(*model));     // or start_from(...), or a State loaded from a file
//   s.schedule(events);                       // the scenario's timeline
//   s.set_recorder(&writers, 1.0 / 200);      // waveforms and beats, if wanted
//   s.advance_to(60.0);                       // or advance_beats(n)
//   s.apply(event);                           // now
//   State saved = s.save();                   // ... later: Session(model, saved) continues exactly
//
// Time. The integrator steps freely, cut only where the right-hand side changes (each R wave, each
// setting change). Samples on the reflex delay line (absolute 20 ms grid), the beat metrics (5 ms
// in systole, 10 ms after, locked to each R wave), the outputs (index x interval) and the control
// ticks (index x control interval) are read off its dense output, each grid with its own
// workspace (outputs a fresh one per sample), so that what is recorded never changes the
// trajectory. At one instant things happen
// in this order: samples, the end of a beat, the control tick, events (those of the timeline, then
// any applied through the Session). advance_to(T) does everything up to and including T, so an
// event applied after it acts exactly like a timeline event at T. How a run is cut into
// advance_to() calls does not change it.
//
// Signals and commands. At each control tick, the readings that devices mark as sensors leave the
// plant as SignalFrames (core/signals.hpp) to the consoles attached to their devices; commands
// come back as device settings, and the integrator restarts only when a setting actually changes.
// No console attached: no ticks, at no cost.
//
// Nothing in advance_to() allocates once the Session is built (a timeline that grows does).
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "unload/core/signals.hpp"
#include "unload/sim/beat_metrics.hpp"
#include "unload/sim/events.hpp"
#include "unload/sim/integrator.hpp"
#include "unload/sim/model.hpp"
#include "unload/sim/state.hpp"

namespace unload::sim {

// Receives what a run produces. Recorders observe; they never change the run.
class SimulationObserver {
 public:
  virtual ~SimulationObserver() = default;
  virtual void on_sample(const physio::Observables& /*sample*/) {}
  virtual void on_beat(const BeatMetrics& /*beat*/) {}
  // Each event as it is applied.
  virtual void on_event(const Event& /*event*/) {}
  // Each command a console sent that changed a device's setting.
  virtual void on_command(double /*t_s*/, const Command& /*command*/) {}
};

// A console and the attached device it runs.
struct ConsoleBinding {
  std::uint32_t device = 0;
  Controller* console = nullptr;
};

class Session final : private OdeSystem {
 public:
  // Starts `start` (a State of this model: rest_state, start_from, or a saved one) with the given
  // consoles attached (their state is restored from `start` if it holds one). A State that is
  // beyond its restart point is replayed up to its time first, without output.
  // Throws InputError if the State belongs to another Model or the consoles do not fit.
  Session(std::shared_ptr<const Model> model, const State& start,
          std::vector<ConsoleBinding> consoles = {});
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const Model& model() const { return *model_; }
  double time() const { return t_; }

  // Advances to t_end_s (>= time()), doing everything up to and including it.
  void advance_to(double t_end_s);
  // Advances to the end of the current beat (the next R wave), n times.
  void advance_beats(int n = 1);

  // Adds events to the timeline (each at its own time, which must not be before time()); checked
  // against the model (device, setting, value range): InputError otherwise.
  void schedule(std::span<const Event> events);
  // The check schedule() makes of one event, for a caller that names where the event came from.
  void check_event(const Event& e) const;
  // Applies one event now (its time is ignored).
  void apply(Event event);

  // Waveform samples every output_interval_s (at index x interval, from the first after now; at a
  // run's start, t = 0, from the start) and completed beats go to `recorder` (nullptr: none).
  // Outputs are not part of the State: set the recorder again on a restored Session.
  void set_recorder(SimulationObserver* recorder, double output_interval_s = 0.0);

  // A flag another thread or a signal handler sets to stop the run: advance_to() then throws
  // unload::Interrupted at its next integrator step (microseconds later; a step's work is bounded,
  // integrator.hpp). nullptr: never. The flag must outlive the Session (or the next call here).
  void set_stop_flag(const std::atomic<bool>* stop) { stop_ = stop; }

  // How many beats the attached devices' pattern spans with their current settings (the least
  // common multiple of DeviceBlock::beats_per_cycle; 1 without devices).
  int beats_per_cycle() const;

  // Everything needed to continue this run exactly.
  State save() const;

  // Reading. The plant's state, observables and sensor signals at time(); completed beats.
  std::span<const double> state();
  physio::Observables observe();
  SignalFrame signals(std::uint32_t device);
  const physio::PlantInputs& plant_inputs() const { return live_.inputs; }
  int completed_beats() const { return live_.beats_done; }
  // The last completed beats, oldest first (at most kRecentBeats).
  // The rhythm of the beat under way, and when VF last began in this run (-1: never).
  physio::Rhythm rhythm() const { return live_.inputs.cycle.rhythm; }
  double vf_onset_s() const { return live_.inputs.rhythm.vf_onset_s; }
  std::span<const BeatMetrics> recent_beats() const;
  IntegratorStats integrator_stats() const { return integrator_->stats(); }
  // The events applied so far, and those still to come.
  std::span<const Event> timeline() const { return live_.timeline; }

 private:
  std::size_t size() const override { return model_->plant().state_size(); }
  void rhs(double t, const double* y, double* dydt) override;
  void error_offsets(std::span<double> offsets) const override;

  void settle_instant();
  double beat_end() const;
  double metric_time(long k) const;
  double tick_time(long k) const;
  double output_time(long k) const;
  // The plant's state at t within the integrator's last step (exact at its end).
  void state_at(double t, std::span<double> y);
  void process_samples(double horizon);
  void end_beat();
  // The beat that starts at this instant (an R wave just now) starts again in the rhythm now set.
  void restart_beat();
  // A rhythm event or a defibrillation (see EventKind).
  void change_rhythm(const Event& e);
  void control_tick();
  void apply_event(const Event& e);
  // A setting changed at t_: the right-hand side changes, so remember this point and restart.
  void restart_here();
  void snapshot();
  bool set_setting(std::uint32_t device, std::size_t slot, double value);
  void save_consoles(std::vector<double>& out) const;

  std::shared_ptr<const Model> model_;
  std::vector<ConsoleBinding> consoles_;
  RunState live_;     // the run now (grid positions and sums up to t_; no consoles' state)
  RunState restart_;  // the run at the integrator's last restart
  double t_ = 0;      // session time: everything up to here has been done
  std::array<BeatMetrics, kRecentBeats> recent_{};
  mutable std::array<BeatMetrics, kRecentBeats> ordered_{};
  std::unique_ptr<Integrator> integrator_;
  SimulationObserver* recorder_ = nullptr;
  double output_interval_s_ = 0;  // output grid (0: none); not part of the State
  long next_output_ = 0;
  const std::atomic<bool>* stop_ = nullptr;
  bool replaying_ = false;
  std::vector<double> scratch_y_, scratch_dydt_;
  // The states a control tick's sensors read (Circulation::sensed_states), found again after a
  // setting changes.
  std::vector<std::size_t> sensed_;
  // Per console: (index in Observables::device_readings, index in SignalFrame::value) of each of
  // its device's sensors.
  std::vector<std::vector<std::pair<std::size_t, std::size_t>>> sensor_slots_;
  bool sensed_stale_ = true;
  std::vector<Command> commands_;
  std::vector<SignalFrame> frames_;  // one per console, in attachment order
  physio::Observables obs_{}, output_obs_{};
};

// Periodic steady state: the mean metrics of the last `average_beats` beats differ from those
// `lag_beats` beats earlier by less than `tolerance` (relative), for `consecutive_beats` beats in
// a row. Averaging damps the beat-to-beat jitter of the adaptive integrator (about 1e-3 at the
// production tolerances); the lag catches the slow drift of the baroreflex's effectors, whose
// time constants span tens of beats. When a device's pattern spans several beats (a balloon pump
// at 1:3, Session::beats_per_cycle), both are rounded up to whole patterns (12 and 12 at 1:3), so
// that every mean covers each phase of the pattern equally. The rounded average_beats + lag_beats
// must stay within kRecentBeats.
// The baroreflex can keep a slow oscillation of a few beats' period (as Mayer waves do), so that
// no 10-beat mean settles: when max_beats pass without the criterion, a second search of up to
// max_beats more compares means over longer windows (oscillation_average_beats and
// oscillation_lag_beats; 0 turns it off), and a steady state found so is `oscillating`.
struct SteadyStateOptions {
  double tolerance = 1e-3;
  int lag_beats = 10;
  int consecutive_beats = 10;
  int max_beats = 3000;
  int average_beats = 10;
  int oscillation_average_beats = 18;
  int oscillation_lag_beats = 12;
};

struct SteadyStateResult {
  bool reached = false;
  bool oscillating = false;  // reached only with the longer windows
  int beats_to_steady = 0;   // beats run when the criterion was first met
  double last_change = 0;    // largest relative change between the last two beats
  BeatMetrics average;       // mean of the last averaged_beats beats
  int averaged_beats = 0;    // average_beats rounded up to whole device patterns
};

// Runs beats until the steady state is reached (or max_beats); the Session stops at an R wave.
SteadyStateResult run_to_steady_state(Session& session, const SteadyStateOptions& options = {});

// Largest relative change between two beats over the metrics the steady-state test watches.
double relative_change(const BeatMetrics& a, const BeatMetrics& b);

}  // namespace unload::sim
