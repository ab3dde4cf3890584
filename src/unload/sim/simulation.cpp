#include "unload/sim/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "unload/core/error.hpp"

namespace unload::sim {

Simulation::Simulation(const physio::PatientParameters& patient, SimulationOptions options)
    : plant_(patient),
      options_(options),
      beat_(physio::body_surface_area_m2(patient.body), patient.left_ventricle.dead_volume_mL),
      y_(physio::Circulation::state_size()),
      scratch_y_(physio::Circulation::state_size()),
      scratch_dydt_(physio::Circulation::state_size()) {
  if (!(options_.sample_interval_s > 0)) {
    throw InputError("numerics.sample_interval must be positive");
  }
  plant_.initial_state(y_);
  history_.reset(options_.sample_interval_s, plant_.longest_reflex_delay_s() + 0.5,
                 plant_.efferent_activity_at_rest());
  inputs_.efferent_history = &history_;
  inputs_.cycle = plant_.start_beat(0.0, y_.data(), nullptr);
  integrator_ = make_integrator(options_.integrator, *this,
                                options_.tolerances.value_or(default_options(options_.integrator)));
  integrator_->restart(0.0, y_);
  beat_.begin(0, 0.0);
  obs_ = observe();
  beat_.add(obs_);
}

Simulation::~Simulation() = default;

void Simulation::rhs(double t, const double* y, double* dydt) {
  plant_.evaluate(t, std::span<const double>(y, size()), std::span<double>(dydt, size()), inputs_,
                  integration_ws_, nullptr);
}

physio::Observables Simulation::observe() {
  plant_.evaluate(t_, y_, scratch_dydt_, inputs_, sample_ws_, &obs_);
  return obs_;
}

void Simulation::sample(double t, SimulationObserver* observer, double output_interval_s) {
  (void)observer;
  (void)output_interval_s;
  integrator_->interpolate(t, scratch_y_);
  plant_.evaluate(t, scratch_y_, scratch_dydt_, inputs_, sample_ws_, &obs_);
  history_.push(t, plant_.efferent_activity_now(scratch_y_));
  beat_.add(obs_);
}

void Simulation::end_beat(SimulationObserver* observer) {
  // The sample exactly at the R wave closes this beat and opens the next.
  plant_.evaluate(t_, y_, scratch_dydt_, inputs_, sample_ws_, &obs_);
  const BeatMetrics m = beat_.finish(obs_);
  recent_[static_cast<std::size_t>(beats_done_) % kRecentBeats] = m;
  ++beats_done_;
  if (observer) observer->on_beat(m);
  inputs_.cycle = plant_.start_beat(t_, y_.data(), &inputs_.cycle);
  integrator_->restart(t_, y_);
  beat_.begin(beats_done_, t_);
  plant_.evaluate(t_, y_, scratch_dydt_, inputs_, sample_ws_, &obs_);
  beat_.add(obs_);
}

void Simulation::advance_to(double t_end_s, SimulationObserver* observer,
                            double output_interval_s) {
  const double h = options_.sample_interval_s;
  const bool outputs = observer && output_interval_s > 0;
  if (outputs && output_index_ == 0 && t_ > 0)
    output_index_ = static_cast<long>(std::ceil(t_ / output_interval_s));
  while (t_ < t_end_s) {
    const double beat_end = inputs_.cycle.beat_start_s + inputs_.cycle.period_s;
    const double stop = std::min(beat_end, t_end_s);
    while (t_ < stop) {
      const double t_new = integrator_->step(stop);
      // Internal grid: metrics and the baroreflex's delay line.
      for (double ts = static_cast<double>(next_sample_) * h; ts <= t_new;
           ts = static_cast<double>(++next_sample_) * h) {
        sample(ts, observer, output_interval_s);
      }
      if (outputs) {
        // Output times are index x interval, so that long runs do not accumulate round-off.
        for (double to = static_cast<double>(output_index_) * output_interval_s; to <= t_new;
             to = static_cast<double>(++output_index_) * output_interval_s) {
          integrator_->interpolate(to, scratch_y_);
          physio::Observables o;
          physio::PlantWorkspace ws = sample_ws_;
          plant_.evaluate(to, scratch_y_, scratch_dydt_, inputs_, ws, &o);
          observer->on_sample(o);
        }
      }
      t_ = t_new;
      const auto y = integrator_->state();
      std::copy(y.begin(), y.end(), y_.begin());
      for (double v : y_) {
        if (!std::isfinite(v)) {
          throw SimulationError(
              "the simulation produced a non-finite value at t = " + std::to_string(t_) + " s");
        }
      }
    }
    if (t_ >= beat_end) end_beat(observer);
  }
}

void Simulation::advance_one_beat(SimulationObserver* observer, double output_interval_s) {
  advance_to(inputs_.cycle.beat_start_s + inputs_.cycle.period_s, observer, output_interval_s);
}

std::span<const BeatMetrics> Simulation::recent_beats() const {
  const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(beats_done_), kRecentBeats);
  for (std::size_t i = 0; i < n; ++i) {
    ordered_[i] = recent_[(static_cast<std::size_t>(beats_done_) - n + i) % kRecentBeats];
  }
  return {ordered_.data(), n};
}

double relative_change(const BeatMetrics& a, const BeatMetrics& b) {
  double worst = 0;
  for (auto f :
       {&BeatMetrics::map_mmHg, &BeatMetrics::co_L_min, &BeatMetrics::lvedv_mL,
        &BeatMetrics::lvesv_mL, &BeatMetrics::pcwp_mmHg, &BeatMetrics::rap_mmHg,
        &BeatMetrics::pap_mean_mmHg, &BeatMetrics::hr_bpm, &BeatMetrics::coronary_flow_mL_min}) {
    worst = std::max(worst, std::abs(a.*f - b.*f) / std::max(std::abs(b.*f), 1.0));
  }
  return worst;
}

SteadyStateResult run_to_steady_state(Simulation& sim, const SteadyStateOptions& options,
                                      SimulationObserver* observer) {
  SteadyStateResult r;
  int calm = 0;
  while (sim.completed_beats() < options.max_beats) {
    sim.advance_one_beat(observer);
    const auto beats = sim.recent_beats();
    if (beats.size() < 2) continue;
    r.last_change = relative_change(beats[beats.size() - 1], beats[beats.size() - 2]);
    calm = r.last_change < options.tolerance ? calm + 1 : 0;
    if (calm >= options.consecutive_beats && !r.reached) {
      r.reached = true;
      r.beats_to_steady = sim.completed_beats();
      break;
    }
  }
  if (!r.reached) r.beats_to_steady = sim.completed_beats();
  auto beats = sim.recent_beats();
  const auto n =
      std::min<std::size_t>(beats.size(), static_cast<std::size_t>(options.average_beats));
  r.average = average(beats.subspan(beats.size() - n));
  return r;
}

}  // namespace unload::sim
