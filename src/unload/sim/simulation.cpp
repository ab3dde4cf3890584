#include "unload/sim/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "unload/core/error.hpp"

namespace unload::sim {

namespace {
// The device readings that have a per-beat summary, with their metric keys.
std::vector<DeviceMetric> device_metrics(const physio::Circulation& plant,
                                         std::vector<std::string>& keys) {
  std::vector<DeviceMetric> out;
  for (const auto& d : plant.devices()) {
    const auto specs = d.block->reading_specs();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      if (specs[i].summary == physio::BeatSummary::none || specs[i].summary_key.empty()) continue;
      if (out.size() == BeatMetrics::max_device_metrics) {
        throw InputError("too many device metrics (at most " +
                         std::to_string(BeatMetrics::max_device_metrics) + ")");
      }
      out.push_back({d.reading_offset + i, specs[i].summary, specs[i].summary_scale});
      keys.emplace_back(specs[i].summary_key);
    }
  }
  return out;
}
}  // namespace

Simulation::Simulation(const physio::PatientParameters& patient, SimulationOptions options,
                       std::vector<std::shared_ptr<const physio::DeviceBlock>> devices,
                       std::vector<physio::DeviceSettings> device_settings)
    : plant_(patient, std::move(devices)),
      options_(options),
      beat_(physio::body_surface_area_m2(patient.body), patient.left_ventricle,
            device_metrics(plant_, device_metric_keys_)),
      y_(plant_.state_size()),
      scratch_y_(plant_.state_size()),
      scratch_dydt_(plant_.state_size()) {
  if (!(options_.sample_interval_s > 0) || !(options_.relaxed_sample_interval_s > 0) ||
      !(options_.history_interval_s > 0)) {
    throw InputError("the sample and history intervals must be positive");
  }
  for (const auto& d : plant_.devices()) {
    const auto specs = d.block->reading_specs();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      device_columns_.emplace_back(std::string(d.block->kind()) + "." + std::string(specs[i].name),
                                   d.reading_offset + i);
    }
  }
  inputs_.device_settings =
      device_settings.empty() ? plant_.default_device_settings() : std::move(device_settings);
  if (inputs_.device_settings.size() != plant_.devices().size()) {
    throw InputError("one set of settings per attached device is needed");
  }
  for (std::size_t k = 0; k < plant_.devices().size(); ++k) {
    plant_.devices()[k].block->derive_settings(inputs_.device_settings[k]);
  }
  plant_.initial_state(y_, inputs_.device_settings);
  history_.reset(options_.history_interval_s, plant_.longest_reflex_delay_s() + 0.5,
                 plant_.efferent_activity_at_rest());
  inputs_.efferent_history = &history_;
  inputs_.cycle = plant_.start_beat(0.0, y_.data(), nullptr);
  integrator_ = make_integrator(options_.integrator, *this,
                                options_.tolerances.value_or(default_options(options_.integrator)));
  integrator_->restart(0.0, y_);
  plan_metric_grid();
  beat_.begin(0, 0.0);
  obs_ = observe();
  beat_.add(obs_);
}

Simulation::~Simulation() = default;

void Simulation::set_device_setting(std::size_t device, std::size_t slot, double value) {
  if (device >= inputs_.device_settings.size() || slot >= physio::max_device_settings) {
    throw InputError("no such device setting");
  }
  inputs_.device_settings[device].value[slot] = value;
  plant_.devices()[device].block->derive_settings(inputs_.device_settings[device]);
  integrator_->restart(t_, y_);
}

void Simulation::rhs(double t, const double* y, double* dydt) {
  plant_.evaluate(t, std::span<const double>(y, size()), std::span<double>(dydt, size()), inputs_,
                  integration_ws_, nullptr);
}

void Simulation::error_offsets(std::span<double> offsets) const {
  std::fill(offsets.begin(), offsets.end(), 0.0);
  plant_.unstressed_volumes(offsets.first(physio::kVolumeCount));
}

physio::Observables Simulation::observe() {
  plant_.evaluate(t_, y_, scratch_dydt_, inputs_, sample_ws_, &obs_);
  return obs_;
}

void Simulation::record_history(double t) {
  integrator_->interpolate(t, scratch_y_);
  history_.push(t, plant_.efferent_activity_now(scratch_y_));
}

void Simulation::plan_metric_grid() {
  // Dense while the ventricles contract: until their activation's sine ends.
  const double contraction = inputs_.cycle.ventricles.rise_end_s - inputs_.cycle.beat_start_s;
  dense_metrics_ = static_cast<long>(std::ceil(contraction / options_.sample_interval_s - 1e-9));
}

double Simulation::metric_time(long k) const {
  const double start = inputs_.cycle.beat_start_s;
  if (k <= dense_metrics_) return start + static_cast<double>(k) * options_.sample_interval_s;
  return start + static_cast<double>(dense_metrics_) * options_.sample_interval_s +
         static_cast<double>(k - dense_metrics_) * options_.relaxed_sample_interval_s;
}

void Simulation::record_metrics(double t) {
  integrator_->interpolate(t, scratch_y_);
  plant_.evaluate(t, scratch_y_, scratch_dydt_, inputs_, sample_ws_, &obs_);
  beat_.add(obs_);
}

void Simulation::end_beat(SimulationObserver* observer) {
  // The sample exactly at the R wave closes this beat and opens the next.
  plant_.evaluate(t_, y_, scratch_dydt_, inputs_, sample_ws_, &obs_);
  const BeatMetrics m = beat_.finish(obs_);
  inputs_.previous_ejection_end_s = m.ejection_end_s;
  recent_[static_cast<std::size_t>(beats_done_) % kRecentBeats] = m;
  ++beats_done_;
  if (observer) observer->on_beat(m);
  inputs_.cycle = plant_.start_beat(t_, y_.data(), &inputs_.cycle);
  integrator_->restart(t_, y_);
  plan_metric_grid();
  beat_.begin(beats_done_, t_);
  next_metric_ = 1;
  plant_.evaluate(t_, y_, scratch_dydt_, inputs_, sample_ws_, &obs_);
  beat_.add(obs_);
}

void Simulation::advance_to(double t_end_s, SimulationObserver* observer,
                            double output_interval_s) {
  const bool outputs = observer && output_interval_s > 0;
  if (outputs && output_index_ == 0 && t_ > 0)
    output_index_ = static_cast<long>(std::ceil(t_ / output_interval_s));
  while (t_ < t_end_s) {
    const double beat_end = inputs_.cycle.beat_start_s + inputs_.cycle.period_s;
    const double stop = std::min(beat_end, t_end_s);
    while (t_ < stop) {
      const double t_new = integrator_->step(stop);
      // The baroreflex's delay line: a uniform grid in absolute time.
      const double hh = options_.history_interval_s;
      for (double ts = static_cast<double>(next_history_) * hh; ts <= t_new;
           ts = static_cast<double>(++next_history_) * hh) {
        record_history(ts);
      }
      // Beat metrics: a grid locked to the beat's start, so that every beat of a periodic
      // solution is sampled at the same phases (no sampling noise between beats).
      for (double tm = metric_time(next_metric_); tm <= t_new && tm < beat_end;
           tm = metric_time(++next_metric_)) {
        record_metrics(tm);
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
      // Integrators return finite states only (see Integrator::step).
      const auto y = integrator_->state();
      std::copy(y.begin(), y.end(), y_.begin());
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
  // Each metric's change relative to its value, but never to less than a clinical scale (10 mmHg,
  // 10 mL, 1 L/min, 10/min, 10 mL/min): a 0.01 mmHg wobble of a 2 mmHg atrial pressure is not
  // a change anyone reads.
  struct Watched {
    double BeatMetrics::*field;
    double scale;
  };
  static constexpr Watched watched[] = {{&BeatMetrics::map_mmHg, 10.0},
                                        {&BeatMetrics::co_L_min, 1.0},
                                        {&BeatMetrics::lvedv_mL, 10.0},
                                        {&BeatMetrics::lvesv_mL, 10.0},
                                        {&BeatMetrics::pcwp_mmHg, 10.0},
                                        {&BeatMetrics::rap_mmHg, 10.0},
                                        {&BeatMetrics::pap_mean_mmHg, 10.0},
                                        {&BeatMetrics::hr_bpm, 10.0},
                                        {&BeatMetrics::coronary_flow_mL_min, 10.0}};
  double worst = 0;
  for (const auto& w : watched) {
    const double x = a.*(w.field), y = b.*(w.field);
    worst = std::max(worst, std::abs(x - y) / std::max(std::abs(y), w.scale));
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
    // Means of the last `window` beats against the means `lag` beats earlier: averaging damps
    // the beat-to-beat jitter of an adaptive integrator, the lag catches slow reflex drift.
    const std::size_t window = static_cast<std::size_t>(std::max(options.average_beats, 1));
    const std::size_t lag = static_cast<std::size_t>(std::max(options.lag_beats, 1));
    if (beats.size() < window + lag) continue;
    const auto now = average(beats.subspan(beats.size() - window));
    const auto then = average(beats.subspan(beats.size() - window - lag, window));
    r.last_change = relative_change(now, then);
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
