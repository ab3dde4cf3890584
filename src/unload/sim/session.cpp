#include "unload/sim/session.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "unload/core/error.hpp"

namespace unload::sim {

namespace {

// Opens a beat at the R wave t: lays out its metric grid and takes its first sample.
void begin_beat(const Model& model, RunState& r, double t, physio::Observables& obs,
                std::span<double> dydt) {
  const auto& c = r.inputs.cycle;
  // Dense while the ventricles contract: until their activation's sine ends (the whole beat when
  // they do not contract: VF, asystole).
  const double contraction =
      std::min(c.ventricles.rise_end_s, c.beat_start_s + c.period_s) - c.beat_start_s;
  r.dense_metrics =
      static_cast<long>(std::ceil(contraction / model.options().sample_interval_s - 1e-9));
  r.next_metric = 1;
  model.accumulator().begin(r.beat, r.beats_done, t);
  r.beat.tau_s = 1.0 / c.ventricles.per_time_constant;
  model.plant().observe(t, r.y, dydt, r.inputs, r.sample_ws, obs);
  model.accumulator().add(r.beat, obs);
}

void prepare_settings(const Model& model, std::vector<physio::DeviceSettings>& settings) {
  const auto devices = model.devices();
  if (settings.empty()) settings = model.plant().default_device_settings();
  if (settings.size() != devices.size()) {
    throw InputError("one set of settings per attached device is needed (" +
                     std::to_string(devices.size()) + " devices, " +
                     std::to_string(settings.size()) + " sets)");
  }
  for (std::size_t k = 0; k < devices.size(); ++k) devices[k].block->derive_settings(settings[k]);
}

}  // namespace

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::device_setting:
      return "device_setting";
    case EventKind::operator_setting:
      return "operator_setting";
    case EventKind::coronary_inflow:
      return "coronary_inflow";
    case EventKind::infusion_rate:
      return "infusion_rate";
    case EventKind::bleeding_rate:
      return "bleeding_rate";
    case EventKind::drug_dose:
      return "drug_dose";
    case EventKind::coronary_microvascular:
      return "coronary_microvascular";
    case EventKind::rhythm:
      return "rhythm";
    case EventKind::defibrillation:
      return "defibrillation";
    case EventKind::console_input:
      return "console_input";
  }
  return "?";
}

// --- starting States ---

State rest_state(const Model& model, std::vector<physio::DeviceSettings> settings) {
  const auto& plant = model.plant();
  State s;
  s.model_fingerprint = model.fingerprint();
  RunState& r = s.restart;
  prepare_settings(model, settings);
  r.inputs.device_settings = std::move(settings);
  r.y.assign(plant.state_size(), 0.0);
  plant.initial_state(r.y, r.inputs.device_settings);
  r.inputs.efferent_history.reset(0.0, model.options().history_interval_s,
                                  plant.longest_reflex_delay_s() + 0.5,
                                  plant.efferent_activity_at_rest());
  r.inputs.rhythm.seed(model.patient().rhythm.seed);
  r.inputs.cycle = plant.start_beat(0.0, r.y.data(), nullptr, &r.inputs.rhythm);
  for (std::size_t k = 0; k < physio::territory_count; ++k) {
    r.inputs.regional_contractility[k] = model.patient().coronary[k].contractility;
  }
  physio::Observables obs;
  std::vector<double> dydt(plant.state_size());
  begin_beat(model, r, 0.0, obs, dydt);
  return s;
}

void set_standing_inputs(State& s, const StandingInputs& standing) {
  RunState& r = s.restart;
  r.inputs.coronary_inflow_fraction = standing.coronary_inflow_fraction;
  r.inputs.drug_dose = standing.drug_dose;
  for (std::size_t d = 0; d < physio::drug_count; ++d) {
    r.y[physio::kDrugEffectSite0 + d] = standing.drug_dose[d];
  }
}

State start_from(const Model& model, const State& from, const Model& from_model,
                 std::vector<physio::DeviceSettings> settings) {
  if (from.model_fingerprint != from_model.fingerprint()) {
    throw InputError("the starting state does not belong to the model it was said to come from");
  }
  if (model.patient_fingerprint() != from_model.patient_fingerprint()) {
    throw InputError(
        "the starting state is of another patient (its parameters differ from this scenario's)");
  }
  const RunState& f = from.restart;
  if (from.t_s != f.t_s || f.inputs.cycle.beat_start_s != f.t_s) {
    throw InputError("a run can only start from a state at an R wave (the end of a beat)");
  }
  const auto& plant = model.plant();
  State s;
  s.model_fingerprint = model.fingerprint();
  RunState& r = s.restart;
  r = f;
  prepare_settings(model, settings);
  r.inputs.device_settings = std::move(settings);
  // The circulation carries over; a device that was attached in `from` (same kind and
  // parameters) keeps its states, others start from their own initial states.
  std::vector<double> y(plant.state_size(), 0.0);
  plant.initial_state(y, r.inputs.device_settings);
  std::copy_n(f.y.begin(), physio::kStateCount, y.begin());
  for (const auto& d : model.devices()) {
    for (const auto& old : from_model.devices()) {
      if (old.block->kind() == d.block->kind() &&
          old.block->parameter_fingerprint() == d.block->parameter_fingerprint()) {
        std::copy_n(f.y.begin() + static_cast<long>(old.state_offset), d.block->state_size(),
                    y.begin() + static_cast<long>(d.state_offset));
      }
    }
  }
  r.y = std::move(y);
  // This R wave becomes t = 0.
  const double dt = -f.t_s;
  r.inputs.cycle.shift_time(dt);
  r.inputs.cycle.beat_index = 0;
  r.inputs.efferent_history.shift_time(dt);
  for (auto* ws : {&r.integration_ws, &r.sample_ws, &r.control_ws}) {
    ws->septum_t_s += dt;
  }
  r.t_s = 0.0;
  r.beats_done = 0;
  r.beat.device_run.fill(0.0);
  r.next_tick = 0;
  r.timeline.clear();
  r.next_event = 0;
  // Infusions and bleeds belong to the run that scheduled them: the new run starts without them,
  // and counts what it infuses and bleeds from 0.
  r.inputs.infusion_mL_s = 0.0;
  r.inputs.bleeding_mL_s = 0.0;
  r.y[physio::kInfusedVolume] = 0.0;
  r.y[physio::kBledVolume] = 0.0;
  r.consoles.clear();
  // The rhythm carries over; its random numbers start afresh from the patient's seed.
  r.inputs.rhythm.seed(model.patient().rhythm.seed);
  if (r.inputs.rhythm.vf_onset_s >= 0.0) r.inputs.rhythm.vf_onset_s += dt;
  r.integrator.stats = {};
  if (model.options().integrator != from_model.options().integrator) r.integrator = {};
  physio::Observables obs;
  std::vector<double> dydt(plant.state_size());
  begin_beat(model, r, 0.0, obs, dydt);
  return s;
}

// --- Session ---

Session::Session(std::shared_ptr<const Model> model, const State& start,
                 std::vector<ConsoleBinding> consoles)
    : model_(std::move(model)), consoles_(std::move(consoles)) {
  if (!model_) throw InputError("a session needs a model");
  if (start.model_fingerprint != model_->fingerprint()) {
    throw InputError(
        "the state belongs to another model (a different patient, devices or numerics)");
  }
  const auto devices = model_->devices();
  for (const auto& c : consoles_) {
    if (!c.console || c.device >= devices.size()) {
      throw InputError("a console must be attached to one of the model's devices");
    }
  }
  const std::size_t n = model_->plant().state_size();
  check_state(start, *model_);
  scratch_y_.resize(n);
  scratch_dydt_.resize(n);
  sensed_.reserve(n);
  for (const auto& c : consoles_) {
    auto& slots = sensor_slots_.emplace_back();
    const auto& d = devices[c.device];
    const auto specs = d.block->reading_specs();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      if (specs[i].signal != Signal::none) {
        slots.emplace_back(d.reading_offset + i, static_cast<std::size_t>(specs[i].signal));
      }
    }
  }
  // One frame per console, kept: each tick writes its time and the sensors' slots (the others
  // stay NaN).
  frames_.resize(consoles_.size());
  for (std::size_t k = 0; k < consoles_.size(); ++k) frames_[k].device = consoles_[k].device;
  commands_.reserve(16);

  live_ = start.restart;
  recent_ = start.recent;
  // Consoles: [length, values...] per console, in attachment order (empty: as constructed).
  if (!live_.consoles.empty()) {
    std::size_t at = 0;
    for (const auto& c : consoles_) {
      if (at >= live_.consoles.size()) throw InputError("the state holds fewer consoles");
      const auto len = static_cast<std::size_t>(live_.consoles[at]);
      if (at + 1 + len > live_.consoles.size()) throw InputError("the state's consoles are cut");
      c.console->load_state(std::span<const double>(live_.consoles).subspan(at + 1, len));
      at += 1 + len;
    }
    if (at != live_.consoles.size()) throw InputError("the state holds more consoles");
  }
  // From here on the consoles' state is saved into restart_ only (snapshot), not copied with live_.
  live_.consoles.clear();
  // Console ticks start at the restart point when the State was saved without consoles.
  if (!consoles_.empty()) {
    const auto first_tick =
        static_cast<long>(std::ceil(live_.t_s / model_->options().control_interval_s - 1e-9));
    live_.next_tick = std::max(live_.next_tick, first_tick);
  }
  integrator_ = make_integrator(model_->options().integrator, *this, model_->tolerances());
  integrator_->set_memory(live_.integrator);
  t_ = live_.t_s;
  snapshot();
  integrator_->restart(t_, live_.y);
  // Replay from the restart point to the saved time, including what was still due at the restart
  // instant itself (a control tick or an event right after an R wave), without any output.
  replaying_ = true;
  advance_to(start.t_s);
  replaying_ = false;
}

Session::~Session() = default;

void Session::rhs(double t, const double* y, double* dydt) {
  const std::size_t n = size();
  model_->plant().evaluate(t, std::span<const double>(y, n), std::span<double>(dydt, n),
                           live_.inputs, live_.integration_ws, nullptr);
}

void Session::error_offsets(std::span<double> offsets) const {
  std::fill(offsets.begin(), offsets.end(), 0.0);
  model_->plant().unstressed_volumes(offsets.first(physio::kVolumeCount));
}

double Session::beat_end() const {
  return live_.inputs.cycle.beat_start_s + live_.inputs.cycle.period_s;
}

double Session::metric_time(long k) const {
  const double start = live_.inputs.cycle.beat_start_s;
  const auto& o = model_->options();
  if (k <= live_.dense_metrics) return start + static_cast<double>(k) * o.sample_interval_s;
  return start + static_cast<double>(live_.dense_metrics) * o.sample_interval_s +
         static_cast<double>(k - live_.dense_metrics) * o.relaxed_sample_interval_s;
}

double Session::tick_time(long k) const {
  return static_cast<double>(k) * model_->options().control_interval_s;
}

double Session::output_time(long k) const { return static_cast<double>(k) * output_interval_s_; }

void Session::state_at(double t, std::span<double> y) {
  if (t == integrator_->time()) {
    const auto x = integrator_->state();
    std::copy(x.begin(), x.end(), y.begin());
  } else {
    integrator_->interpolate(t, y);
  }
}

void Session::snapshot() {
  live_.t_s = t_;
  live_.integrator = integrator_->memory();
  // Copy-assignment into buffers of the same sizes: no allocation. live_ holds no consoles' state:
  // it is saved straight into restart_ (thousands of numbers, at every R wave).
  restart_ = live_;
  save_consoles(restart_.consoles);
}

void Session::restart_here() {
  state_at(t_, live_.y);
  snapshot();
  integrator_->restart(t_, live_.y);
}

void Session::save_consoles(std::vector<double>& out) const {
  out.clear();
  for (const auto& c : consoles_) {
    const std::size_t at = out.size();
    out.push_back(0.0);
    c.console->save_state(out);
    out[at] = static_cast<double>(out.size() - at - 1);
  }
}

void Session::process_samples(double horizon) {
  const auto& plant = model_->plant();
  // The baroreflex's delay line: a uniform grid in absolute time.
  auto& history = live_.inputs.efferent_history;
  for (double ts = history.sample_time(live_.next_history); ts <= horizon;
       ts = history.sample_time(++live_.next_history)) {
    // Only the states the afferents read (the others in scratch_y_ are left from other uses).
    if (ts == integrator_->time()) {
      state_at(ts, scratch_y_);
    } else {
      integrator_->interpolate_components(ts, scratch_y_, physio::Circulation::kAfferentStates);
    }
    history.push(live_.next_history, plant.efferent_activity_now(scratch_y_));
  }
  // Beat metrics: a grid locked to the beat's start, so that every beat of a periodic solution
  // is sampled at the same phases (no sampling noise between beats).
  const double end = beat_end();
  for (double tm = metric_time(live_.next_metric); tm <= horizon && tm < end;
       tm = metric_time(++live_.next_metric)) {
    state_at(tm, scratch_y_);
    plant.observe(tm, scratch_y_, scratch_dydt_, live_.inputs, live_.sample_ws, obs_);
    model_->accumulator().add(live_.beat, obs_);
  }
  // Outputs: times are index x interval, so that long runs do not accumulate round-off. Each
  // sample is a pure function of its time and state (a fresh workspace), so outputs need no part
  // of the State and never depend on when they were asked for.
  if (output_interval_s_ > 0 && recorder_ && !replaying_) {
    for (double to = output_time(next_output_); to <= horizon; to = output_time(++next_output_)) {
      state_at(to, scratch_y_);
      physio::PlantWorkspace fresh;
      plant.observe(to, scratch_y_, scratch_dydt_, live_.inputs, fresh, output_obs_);
      plant.record_ecg(live_.inputs, output_obs_);
      recorder_->on_sample(output_obs_);
    }
  }
}

void Session::end_beat() {
  const auto& plant = model_->plant();
  // The sample exactly at the R wave closes this beat and opens the next.
  state_at(t_, live_.y);
  plant.observe(t_, live_.y, scratch_dydt_, live_.inputs, live_.sample_ws, obs_);
  const BeatMetrics m = model_->accumulator().finish(live_.beat, obs_);
  live_.inputs.previous_ejection_end_s = m.ejection_end_s;
  recent_[static_cast<std::size_t>(live_.beats_done) % kRecentBeats] = m;
  ++live_.beats_done;
  if (recorder_ && !replaying_) recorder_->on_beat(m);
  auto& rhythm = live_.inputs.rhythm;
  const physio::Rhythm before = live_.inputs.cycle.rhythm;
  // Ischaemia's risk of VF: the chance 1 - exp(-hazard x beat) of the beat just ended, drawn at its
  // end (no draw when the risk is off or the heart already arrested).
  if (!physio::arrested(rhythm.rhythm)) {
    const double hazard = plant.vf_hazard_per_s(live_.y);
    if (hazard > 0.0 &&
        rhythm.uniform() < -std::expm1(-hazard * (t_ - live_.inputs.cycle.beat_start_s))) {
      rhythm.rhythm = physio::Rhythm::vf;
      rhythm.rate_bpm = 0.0;
      // Recorded as a rhythm event of its own (setting 1: arisen, not given).
      if (recorder_ && !replaying_) {
        recorder_->on_event(
            {t_, EventKind::rhythm, static_cast<std::uint32_t>(rhythm.rhythm), 1, 0.0});
      }
    }
  }
  live_.inputs.cycle = plant.start_beat(t_, live_.y.data(), &live_.inputs.cycle, &rhythm);
  if (live_.inputs.cycle.rhythm == physio::Rhythm::vf && before != physio::Rhythm::vf) {
    rhythm.vf_onset_s = t_;
  }
  begin_beat(*model_, live_, t_, obs_, scratch_dydt_);
  snapshot();
  integrator_->restart(t_, live_.y);
}

void Session::restart_beat() {
  const auto& plant = model_->plant();
  const physio::CardiacCycle old = live_.inputs.cycle;
  state_at(t_, live_.y);
  physio::CardiacCycle c = plant.start_beat(t_, live_.y.data(), &old, &live_.inputs.rhythm);
  // Still the same beat, after the same atrial contraction.
  c.beat_index = old.beat_index;
  c.atrial_onset_s = old.atrial_onset_s;
  c.previous_atrial_scale = old.previous_atrial_scale;
  c.previous_atria = old.previous_atria;
  live_.inputs.cycle = c;
  if (c.rhythm == physio::Rhythm::vf && old.rhythm != physio::Rhythm::vf) {
    live_.inputs.rhythm.vf_onset_s = t_;
  }
  begin_beat(*model_, live_, t_, obs_, scratch_dydt_);
  snapshot();
  integrator_->restart(t_, live_.y);
}

void Session::change_rhythm(const Event& e) {
  auto& rhythm = live_.inputs.rhythm;
  physio::Rhythm next = static_cast<physio::Rhythm>(e.device);
  double rate = e.value;
  if (e.kind == EventKind::defibrillation) {
    if (!physio::shockable(rhythm.rhythm)) return;  // nothing to end
    next = physio::Rhythm::sinus;
    rate = 0.0;
  }
  if (next == rhythm.rhythm && rate == rhythm.rate_bpm) return;
  rhythm.rhythm = next;
  rhythm.rate_bpm = rate;
  const auto& c = live_.inputs.cycle;
  if (t_ == c.beat_start_s) {
    restart_beat();  // the beat starting now takes it
  } else if (physio::arrested(c.rhythm)) {
    end_beat();  // no beat under way: the new rhythm starts now
  }
}

bool Session::set_setting(std::uint32_t device, std::size_t slot, double value) {
  auto& s = live_.inputs.device_settings[device];
  if (s.value[slot] == value) return false;
  s.value[slot] = value;
  sensed_stale_ = true;
  model_->devices()[device].block->derive_settings(s);
  return true;
}

void Session::control_tick() {
  const auto& plant = model_->plant();
  if (sensed_stale_) {
    plant.sensed_states(live_.inputs.device_settings, sensed_);
    sensed_stale_ = false;
  }
  // Only the states the sensors read (the others in scratch_y_ are left from other uses).
  if (t_ == integrator_->time() || sensed_.size() == scratch_y_.size()) {
    state_at(t_, scratch_y_);
  } else {
    integrator_->interpolate_components(t_, scratch_y_, sensed_);
  }
  plant.sense(t_, scratch_y_, scratch_dydt_, live_.inputs, live_.control_ws, obs_);
  commands_.clear();
  for (std::size_t k = 0; k < consoles_.size(); ++k) {
    const auto& c = consoles_[k];
    SignalFrame& f = frames_[k];
    f.t_s = t_;
    for (const auto& [reading, signal] : sensor_slots_[k]) {
      f.value[signal] = obs_.device_readings[reading];
    }
    c.console->tick(t_, std::span<const SignalFrame>(&f, 1), commands_);
  }
  ++live_.next_tick;
  bool changed = false;
  for (const auto& cmd : commands_) {
    const auto devices = model_->devices();
    if (cmd.device >= devices.size()) throw SimulationError("a console commanded no such device");
    const auto specs = devices[cmd.device].block->setting_specs();
    std::size_t slot = specs.size();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      if (specs[i].command == cmd.kind && cmd.kind != CommandKind::none) slot = i;
    }
    if (slot == specs.size() || !(cmd.value >= specs[slot].min && cmd.value <= specs[slot].max)) {
      throw SimulationError("a console sent " + std::string(command_name(cmd.kind)) + " = " +
                            std::to_string(cmd.value) + ", which " +
                            std::string(devices[cmd.device].block->kind()) + " does not accept");
    }
    if (set_setting(cmd.device, slot, cmd.value)) {
      changed = true;
      if (recorder_ && !replaying_) recorder_->on_command(t_, cmd);
    }
  }
  if (changed) restart_here();
}

void Session::apply_event(const Event& e) {
  switch (e.kind) {
    case EventKind::device_setting:
      if (set_setting(e.device, e.setting, e.value)) restart_here();
      break;
    case EventKind::operator_setting: {
      const auto& spec = model_->devices()[e.device].block->setting_specs()[e.setting];
      Controller* console = nullptr;
      for (const auto& c : consoles_) {
        if (c.device == e.device) console = c.console;
      }
      if (console && spec.command != CommandKind::none) {
        console->operator_input(t_, {e.device, spec.command, e.value});
      } else if (set_setting(e.device, e.setting, e.value)) {
        restart_here();
      }
      break;
    }
    case EventKind::coronary_inflow:
    case EventKind::coronary_microvascular: {
      double& fraction = e.kind == EventKind::coronary_inflow
                             ? live_.inputs.coronary_inflow_fraction[e.device]
                             : live_.inputs.microvascular_fraction[e.device];
      if (fraction != e.value) {
        fraction = e.value;
        restart_here();
      }
      break;
    }
    case EventKind::infusion_rate:
    case EventKind::bleeding_rate: {
      double& rate = e.kind == EventKind::infusion_rate ? live_.inputs.infusion_mL_s
                                                        : live_.inputs.bleeding_mL_s;
      if (rate != e.value) {
        rate = e.value;
        restart_here();
      }
      break;
    }
    case EventKind::drug_dose: {
      double& dose = live_.inputs.drug_dose[e.device];
      if (dose != e.value) {
        dose = e.value;
        restart_here();
      }
      break;
    }
    case EventKind::rhythm:
    case EventKind::defibrillation:
      change_rhythm(e);
      break;
    case EventKind::console_input:
      for (const auto& c : consoles_) {
        if (c.device == e.device) {
          c.console->operator_input(t_, {e.device, static_cast<CommandKind>(e.setting), e.value});
        }
      }
      break;
  }
  if (recorder_ && !replaying_) recorder_->on_event(e);
}

void Session::settle_instant() {
  // What is due at this instant, in order: the end of a beat, the control tick, events. Samples at
  // this instant come first (they were taken when it was reached).
  if (t_ >= beat_end()) end_beat();
  if (!consoles_.empty() && tick_time(live_.next_tick) <= t_) control_tick();
  while (live_.next_event < live_.timeline.size() &&
         live_.timeline[live_.next_event].time_s <= t_) {
    const Event e = live_.timeline[live_.next_event++];
    apply_event(e);
  }
}

void Session::advance_to(double t_end_s) {
  if (!(t_end_s >= t_) || !std::isfinite(t_end_s)) {
    throw InputError("advance_to: the time must be finite and not before the session's time");
  }
  // Samples exactly at the session's time not yet taken (only at a run's first instant).
  process_samples(t_);
  for (;;) {
    // Everything due now happens before the next step is taken: a setting that changes here
    // restarts the integrator from this instant, and no step is taken only to be thrown away.
    settle_instant();
    if (t_ >= t_end_s) break;
    if (stop_ && stop_->load(std::memory_order_relaxed)) {
      throw Interrupted("stopped at t = " + std::to_string(t_) + " s simulated");
    }
    if (integrator_->time() <= t_) integrator_->step(beat_end());
    // The next instant where something happens: T, the end of the integrator's step (at most the
    // end of the beat), a control tick or an event.
    double horizon = std::min(t_end_s, integrator_->time());
    if (!consoles_.empty()) horizon = std::min(horizon, tick_time(live_.next_tick));
    if (live_.next_event < live_.timeline.size()) {
      horizon = std::min(horizon, live_.timeline[live_.next_event].time_s);
    }
    process_samples(horizon);
    t_ = horizon;
  }
}

void Session::advance_beats(int n) {
  for (int i = 0; i < n; ++i) advance_to(beat_end());
}

void Session::check_event(const Event& e) const {
  const auto devices = model_->devices();
  if (!std::isfinite(e.time_s)) throw InputError("an event's time must be finite");
  switch (e.kind) {
    case EventKind::device_setting:
    case EventKind::operator_setting: {
      if (e.device >= devices.size()) throw InputError("an event names no attached device");
      const auto specs = devices[e.device].block->setting_specs();
      if (e.setting >= specs.size()) throw InputError("an event names no setting of its device");
      const auto& spec = specs[e.setting];
      if (!(e.value >= spec.min && e.value <= spec.max)) {
        throw InputError(std::string(devices[e.device].block->kind()) + " " +
                         std::string(spec.name) + ": expected " + std::to_string(spec.min) +
                         " to " + std::to_string(spec.max) + " " + std::string(spec.unit) +
                         ", got " + std::to_string(e.value));
      }
      return;
    }
    case EventKind::coronary_inflow:
    case EventKind::coronary_microvascular:
      if (e.device >= physio::territory_count) {
        throw InputError("a coronary event names no coronary territory");
      }
      if (e.setting > max_coronary_setting(e.kind)) {
        throw InputError(
            "a coronary event's setting must be 0 (a balloon's change) or, for the inflow, 1 (a "
            "lasting one: a stenosis or a stent), got " +
            std::to_string(e.setting));
      }
      if (!(e.value >= 0.0 && e.value <= 1.0)) {
        throw InputError("a coronary event's conductance fraction must be from 0 to 1, got " +
                         std::to_string(e.value));
      }
      return;
    case EventKind::infusion_rate:
    case EventKind::bleeding_rate:
      if (e.device != 0 || e.setting != 0) {
        throw InputError("an infusion or bleeding event names no device or setting");
      }
      if (!(e.value >= 0.0 && e.value <= kMaxFluidRate_mL_s)) {
        throw InputError(std::string(to_string(e.kind)) + " must be from 0 to " +
                         std::to_string(kMaxFluidRate_mL_s) + " mL/s, got " +
                         std::to_string(e.value));
      }
      return;
    case EventKind::drug_dose: {
      if (e.device >= physio::drug_count || e.setting != 0) {
        throw InputError("a drug event names no drug");
      }
      const double max = model_->patient().drugs[e.device].maximum_dose;
      if (!(e.value >= 0.0 && e.value <= max)) {
        throw InputError(std::string(physio::drug_names[e.device]) + " dose must be from 0 to " +
                         std::to_string(max) + " " + std::string(physio::drug_dose_unit) +
                         ", got " + std::to_string(e.value));
      }
      return;
    }
    case EventKind::rhythm: {
      if (e.setting != 0 || e.device >= static_cast<std::uint32_t>(physio::kRhythmCount)) {
        throw InputError("a rhythm event names no rhythm");
      }
      const auto r = static_cast<physio::Rhythm>(e.device);
      if (r == physio::Rhythm::vt &&
          !(e.value >= physio::kMinVtRate_bpm && e.value <= physio::kMaxVtRate_bpm)) {
        throw InputError(
            "a vt rhythm's rate must be from " + std::to_string(physio::kMinVtRate_bpm) + " to " +
            std::to_string(physio::kMaxVtRate_bpm) + " /min, got " + std::to_string(e.value));
      }
      if (r == physio::Rhythm::paced &&
          !(e.value >= physio::kMinPacedRate_bpm && e.value <= physio::kMaxPacedRate_bpm)) {
        throw InputError("a paced rhythm's rate must be from " +
                         std::to_string(physio::kMinPacedRate_bpm) + " to " +
                         std::to_string(physio::kMaxPacedRate_bpm) + " /min, got " +
                         std::to_string(e.value));
      }
      if (!physio::takes_rate(r) && e.value != 0.0) {
        throw InputError(physio::rhythm_with_article(r) + " rhythm takes no rate");
      }
      return;
    }
    case EventKind::defibrillation:
      if (e.device != 0 || e.setting != 0 || e.value != 0.0) {
        throw InputError("a defibrillation names no device, setting or value");
      }
      return;
    case EventKind::console_input: {
      if (!is_console_input(e.setting) || !std::isfinite(e.value)) {
        throw InputError("a console input names no input a console takes");
      }
      const bool attached =
          std::any_of(consoles_.begin(), consoles_.end(),
                      [&e](const ConsoleBinding& c) { return c.device == e.device; });
      if (!attached) {
        throw InputError(std::string(command_name(static_cast<CommandKind>(e.setting))) +
                         ": the device has no console attached (run without --no-console)");
      }
      return;
    }
  }
  throw InputError("an event of unknown kind");
}

void Session::schedule(std::span<const Event> events) {
  for (const auto& e : events) {
    check_event(e);
    if (e.time_s < t_) throw InputError("an event cannot be scheduled before the session's time");
  }
  for (const auto& e : events) {
    // After every event already due at the same time (first come, first applied).
    const auto first = live_.timeline.begin() + static_cast<long>(live_.next_event);
    const auto at = std::upper_bound(first, live_.timeline.end(), e.time_s,
                                     [](double t, const Event& x) { return t < x.time_s; });
    live_.timeline.insert(at, e);
  }
}

void Session::apply(Event event) {
  event.time_s = t_;
  check_event(event);
  live_.timeline.insert(live_.timeline.begin() + static_cast<long>(live_.next_event), event);
  ++live_.next_event;
  apply_event(event);
}

void Session::set_recorder(SimulationObserver* recorder, double output_interval_s) {
  if (!(output_interval_s >= 0) || !std::isfinite(output_interval_s)) {
    throw InputError("set_recorder: the output interval must be finite and not negative");
  }
  recorder_ = recorder;
  output_interval_s_ = recorder && output_interval_s > 0 ? output_interval_s : 0.0;
  if (output_interval_s_ == 0) return;
  // The first sample after now; at a run's start (t = 0) the first row is the start itself.
  next_output_ = static_cast<long>(std::ceil(t_ / output_interval_s_));
  while (output_time(next_output_) < t_ || (t_ > 0 && output_time(next_output_) == t_)) {
    ++next_output_;
  }
}

State Session::save() const {
  State s;
  s.model_fingerprint = model_->fingerprint();
  s.restart = restart_;
  // Events applied or scheduled since the restart point are part of what follows it.
  s.restart.timeline = live_.timeline;
  s.t_s = t_;
  s.recent = recent_;
  return s;
}

std::span<const double> Session::state() {
  state_at(t_, scratch_y_);
  return scratch_y_;
}

physio::Observables Session::observe() {
  state_at(t_, scratch_y_);
  physio::PlantWorkspace ws = live_.sample_ws;  // a copy: reading never changes the run
  physio::Observables o;
  model_->plant().observe(t_, scratch_y_, scratch_dydt_, live_.inputs, ws, o);
  model_->plant().record_ecg(live_.inputs, o);
  return o;
}

SignalFrame Session::signals(std::uint32_t device) {
  if (device >= model_->devices().size()) throw InputError("no such device");
  const physio::Observables o = observe();
  SignalFrame f;
  f.t_s = t_;
  f.device = device;
  const auto& d = model_->devices()[device];
  const auto specs = d.block->reading_specs();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].signal != Signal::none) {
      f.value[static_cast<std::size_t>(specs[i].signal)] = o.device_readings[d.reading_offset + i];
    }
  }
  return f;
}

std::span<const BeatMetrics> Session::recent_beats() const {
  const auto done = static_cast<std::size_t>(live_.beats_done);
  const std::size_t n = std::min(done, kRecentBeats);
  for (std::size_t i = 0; i < n; ++i) ordered_[i] = recent_[(done - n + i) % kRecentBeats];
  return {ordered_.data(), n};
}

// --- steady state ---

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

int Session::beats_per_cycle() const {
  int cycle = 1;
  const auto devices = model_->devices();
  for (std::size_t k = 0; k < devices.size(); ++k) {
    const int n = devices[k].block->beats_per_cycle(live_.inputs.device_settings[k]);
    cycle = std::lcm(cycle, std::max(n, 1));
  }
  return cycle;
}

namespace {
// n rounded up to a whole number of cycles.
std::size_t whole_cycles(int n, int cycle) {
  const int c = std::max(cycle, 1);
  return static_cast<std::size_t>((std::max(n, 1) + c - 1) / c * c);
}
}  // namespace

namespace {
SteadyStateResult search_steady_state(Session& session, const SteadyStateOptions& options) {
  SteadyStateResult r;
  int calm = 0;
  const int start = session.completed_beats();
  while (session.completed_beats() - start < options.max_beats) {
    session.advance_beats(1);
    const auto beats = session.recent_beats();
    // Means of the last `window` beats against the means `lag` beats earlier: averaging damps
    // the beat-to-beat jitter of an adaptive integrator, the lag catches slow reflex drift. Both
    // span whole device patterns (a 1:3 balloon pump: multiples of 3 beats).
    const int cycle = session.beats_per_cycle();
    const std::size_t window = whole_cycles(options.average_beats, cycle);
    const std::size_t lag = whole_cycles(options.lag_beats, cycle);
    if (window + lag > kRecentBeats) {
      throw SimulationError("the steady-state test cannot compare patterns of " +
                            std::to_string(cycle) + " beats (at most " +
                            std::to_string(kRecentBeats) + " beats are kept)");
    }
    if (beats.size() < window + lag) continue;
    const auto now = average(beats.subspan(beats.size() - window));
    const auto then = average(beats.subspan(beats.size() - window - lag, window));
    r.last_change = relative_change(now, then);
    calm = r.last_change < options.tolerance ? calm + 1 : 0;
    if (calm >= options.consecutive_beats) {
      r.reached = true;
      break;
    }
  }
  r.beats_to_steady = session.completed_beats() - start;
  auto beats = session.recent_beats();
  const auto n =
      std::min(beats.size(), whole_cycles(options.average_beats, session.beats_per_cycle()));
  r.average = average(beats.subspan(beats.size() - n));
  r.averaged_beats = static_cast<int>(n);
  return r;
}
}  // namespace

SteadyStateResult run_to_steady_state(Session& session, const SteadyStateOptions& options) {
  const bool longer = options.oscillation_average_beats > 0 || options.oscillation_lag_beats > 0;
  auto valid = [](int average, int lag) {
    return average >= 1 && lag >= 1 && average + lag < static_cast<int>(kRecentBeats);
  };
  if (!valid(options.average_beats, options.lag_beats) ||
      (longer && !valid(options.oscillation_average_beats, options.oscillation_lag_beats)) ||
      options.consecutive_beats < 1 || options.max_beats < 1 || !(options.tolerance > 0)) {
    throw InputError(
        "steady state: average_beats + lag_beats (and their oscillation_ pair, "
        "unless both are 0) must be below " +
        std::to_string(kRecentBeats) + ", and every count and the tolerance positive");
  }
  SteadyStateResult r = search_steady_state(session, options);
  if (r.reached || !longer) return r;  // (a stop flag throws from advance_to)
  SteadyStateOptions wide = options;
  wide.average_beats = options.oscillation_average_beats;
  wide.lag_beats = options.oscillation_lag_beats;
  const int before = r.beats_to_steady;
  r = search_steady_state(session, wide);
  r.beats_to_steady += before;
  r.oscillating = r.reached;
  return r;
}

}  // namespace unload::sim
