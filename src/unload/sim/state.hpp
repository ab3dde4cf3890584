// The State: everything a run changes (MuJoCo's mjData), as a value that can be copied, compared,
// saved and loaded.
//
// A Session advances its integrator freely between the points where the right-hand side changes
// (each R wave, each setting change); everything else (samples on the metric, reflex, output and
// control grids, the session's own time) is read off the integrator's dense output. A State is
// therefore two parts:
//   - `restart`: a full copy of the run at the last such point (state vector, beat clock, reflex
//     history, the beat's partial sums, device settings, pending events, grid positions, the
//     integrator's carried memory, the consoles' state);
//   - `t_s`: how far the session had got beyond it.
// Loading a State restores `restart`, restarts the integrator there and replays up to `t_s`
// without emitting any output: the replay takes exactly the steps the original took, so a restored
// run continues bit for bit as the original continued. The last completed beats (`recent`) do not
// change during that replay and are kept beside it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "unload/physio/circulation.hpp"
#include "unload/sim/beat_metrics.hpp"
#include "unload/sim/events.hpp"
#include "unload/sim/integrator.hpp"
#include "unload/sim/model.hpp"

namespace unload::sim {

// The run at a restart point.
struct RunState {
  double t_s = 0;              // time of the restart point
  std::vector<double> y;       // the plant's state there
  physio::PlantInputs inputs;  // beat timing, reflex history, regional contractility, settings
  // Scratch of the right-hand side (warm starts), one per sequence of evaluations: the
  // integrator's, the beat metrics', the control tick's. Each evolves only with its own sequence,
  // so that sampling one grid never changes the values on another. (Output samples take a fresh
  // one each: they are no part of the State.)
  physio::PlantWorkspace integration_ws, sample_ws, control_ws;
  IntegratorMemory integrator;
  BeatProgress beat;
  // Next positions on the grids: reflex history (absolute index), beat metrics (from the beat's
  // start; dense_metrics samples 5 ms apart, then 10 ms) and control ticks (index times the
  // control interval, from the run's start).
  long next_history = 1, next_metric = 1, dense_metrics = 0, next_tick = 0;
  int beats_done = 0;
  std::vector<Event> timeline;   // pending and past events, in time order
  std::uint64_t next_event = 0;  // first event not yet applied
  std::vector<double> consoles;  // saved state of the attached consoles, in attachment order
};

inline constexpr std::size_t kRecentBeats = 32;

struct State {
  std::uint64_t model_fingerprint = 0;
  RunState restart;
  double t_s = 0;                                  // the session's time, restart.t_s <= t_s
  std::array<BeatMetrics, kRecentBeats> recent{};  // the last completed beats, a ring by beat index
};

// A State as named arrays of numbers: what a state file holds. Integers are stored as doubles
// (exact below 2^53), NaN as NaN.
struct StateRecord {
  std::vector<std::pair<std::string, std::vector<double>>> fields;
};
StateRecord to_record(const State& s);
// The State a record describes, for this model (its sizes: state vector, delay line, devices).
// Throws InputError naming the field that is missing or has the wrong size, or when the record
// belongs to another Model.
State from_record(const StateRecord& record, const Model& model);

// Checks that a State can run on this Model: its fingerprint, sizes, grids, times, settings and
// events. InputError naming what is wrong. Session's constructor and from_record call it.
void check_state(const State& s, const Model& model);

// Whether two States are the same bit for bit (a NaN equals a NaN with the same bits).
bool identical(const State& a, const State& b);
// A fingerprint of a State (of its record), e.g. to check that a state file did not change.
std::uint64_t state_fingerprint(const State& s);

// What the patient lives with before a run begins: each territory's stenosis (the fraction of its
// resting inflow conductance it leaves, 1 = none) and the drug infusions running (mcg/kg/min, in
// physio::drug_names order). A scenario's lasting inputs at t = 0 (io::Scenario::standing): a
// steady start reaches its steady state with them, so that the run starts from the patient as they
// are rather than with the transient of their onset.
struct StandingInputs {
  std::array<double, physio::territory_count> coronary_inflow_fraction = {1.0, 1.0, 1.0};
  std::array<double, physio::drug_count> drug_dose = {};
  bool operator==(const StandingInputs&) const = default;
  bool none() const { return *this == StandingInputs{}; }
};
// Sets them in a starting State (rest_state's): the inputs, and each drug's effect site at its
// equilibrium with the infusion (the effect-site dose equals the rate: it has run for long).
void set_standing_inputs(State& s, const StandingInputs& standing);

// Starting States.
// At rest: every compartment at one uniform filling pressure, valves closed, reflex at its set
// point, devices with `settings` (their defaults when empty), at t = 0.
State rest_state(const Model& model, std::vector<physio::DeviceSettings> settings = {});
// A new run of `model` that starts at t = 0 from where `from` (a State of `from_model`, at a beat's
// R wave: what run_to_steady_state leaves) stands: the circulation, the beat clock and the reflex
// history carry over, the clock is moved so that this R wave is t = 0, and the beats are counted
// afresh. Devices of `model` are attached at that instant with `settings`; one that `from_model`
// had too (same kind and parameters) keeps its states. Throws InputError when the two Models are
// not of the same patient or `from` is not at an R wave.
State start_from(const Model& model, const State& from, const Model& from_model,
                 std::vector<physio::DeviceSettings> settings = {});

}  // namespace unload::sim
