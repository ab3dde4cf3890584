#include "unload/sim/state.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <map>

#include "unload/core/error.hpp"
#include "unload/core/fingerprint.hpp"

namespace unload::sim {

namespace {

// Every field of a State, by name, in one place: to_record, from_record and identical() all walk
// this list, so a field added to State and forgotten here fails the save-and-restore test (the
// restored run would not continue bit for bit).
//
// The visitor is called as v(name, x) with x a double&, a long& / int& / bool& / std::uint32_t& /
// std::uint64_t& (numbers stored as doubles) or a std::vector<double>& (an array whose length the
// model fixes, or, for `variable` arrays, the record does).
template <class V>
class Walker {
 public:
  explicit Walker(V& v) : v_(v) {}

  template <class T>
  void operator()(const std::string& name, T& x) {
    v_(prefix_ + name, x);
  }
  // Arrays of doubles with a fixed length.
  template <std::size_t N>
  void operator()(const std::string& name, std::array<double, N>& a) {
    std::vector<double> tmp(a.begin(), a.end());
    v_(prefix_ + name, tmp);
    if constexpr (V::reading) {
      std::copy(tmp.begin(), tmp.begin() + static_cast<long>(std::min(N, tmp.size())), a.begin());
    }
  }
  static constexpr bool reading = V::reading;
  void enter(const std::string& name) {
    stack_.push_back(prefix_.size());
    prefix_ += name + ".";
  }
  void leave() {
    prefix_.resize(stack_.back());
    stack_.pop_back();
  }
  V& visitor() { return v_; }

 private:
  V& v_;
  std::string prefix_;
  std::vector<std::size_t> stack_;
};

// Adapts a Walker to the `v(const char*, x)` form physio types call in their visit().
template <class W>
struct Forward {
  static constexpr bool reading = W::reading;
  W& w;
  template <class T>
  void operator()(const char* name, T& x) {
    w(name, x);
  }
};

template <class W>
void walk(W& w, physio::ContractionTiming& c) {
  w("onset_s", c.onset_s);
  w("rise_end_s", c.rise_end_s);
  w("phase_per_s", c.phase_per_s);
  w("per_time_constant", c.per_time_constant);
}

// A rhythm as its number (checked by check_state).
template <class W>
void walk_rhythm(W& w, const std::string& name, physio::Rhythm& r) {
  int code = static_cast<int>(r);
  w(name, code);
  if constexpr (W::reading) {
    if (code < 0 || code >= physio::kRhythmCount) {
      throw InputError("state: field '" + name + "' names no rhythm");
    }
    r = static_cast<physio::Rhythm>(code);
  }
}

template <class W>
void walk(W& w, physio::CardiacCycle& c) {
  w("beat_index", c.beat_index);
  walk_rhythm(w, "rhythm", c.rhythm);
  w("beat_start_s", c.beat_start_s);
  w("period_s", c.period_s);
  w("ventricular_scale", c.ventricular_scale);
  w("contractility", c.contractility);
  w("atrial_onset_s", c.atrial_onset_s);
  w("previous_atrial_scale", c.previous_atrial_scale);
  w("next_atrial_onset_s", c.next_atrial_onset_s);
  w("atrial_scale", c.atrial_scale);
  const std::pair<const char*, physio::ContractionTiming*> parts[] = {
      {"ventricles", &c.ventricles},
      {"previous_atria", &c.previous_atria},
      {"next_atria", &c.next_atria}};
  for (auto& [name, timing] : parts) {
    w.enter(name);
    walk(w, *timing);
    w.leave();
  }
}

template <class W>
void walk(W& w, physio::PlantWorkspace& ws) {
  w("septum_mL", ws.septum_mL);
  w("septum_t_s", ws.septum_t_s);
  w("septum_rate_mL_s", ws.septum_rate_mL_s);
  w("ischaemic_bulge_mL", ws.ischaemic_bulge_mL);
  const std::pair<const char*, physio::NearbyExp*> exps[] = {
      {"lv_wall", &ws.lv_wall},
      {"rv_wall", &ws.rv_wall},
      {"septum_wall", &ws.septum_wall},
      {"pericardium", &ws.pericardium},
      {"left_atrium", &ws.left_atrium},
      {"right_atrium", &ws.right_atrium},
      {"ischaemic_bulge", &ws.ischaemic_bulge}};
  for (auto& [name, e] : exps) {
    w.enter(name);
    Forward<W> f{w};
    e->visit(f);
    w.leave();
  }
}

template <class W>
void walk(W& w, BeatMetrics& m) {
  w("beat", m.beat);
  w("start_s", m.start_s);
  w("duration_s", m.duration_s);
  w("ejection_end_s", m.ejection_end_s);
  for (const auto& f : metric_fields()) w(std::string(f.name), f.field(m));
  w("device", m.device);
}

template <class W>
void walk(W& w, BeatProgress& p) {
  w.enter("m");
  walk(w, p.m);
  w.leave();
  w("first", p.first);
  w("t_prev", p.t_prev);
  w("prev_t_s", p.prev_t_s);
  w("prev_aortic_root_mmHg", p.prev_aortic_root_mmHg);
  w("prev_left_atrium_mmHg", p.prev_left_atrium_mmHg);
  w("prev_right_atrium_mmHg", p.prev_right_atrium_mmHg);
  w("prev_pulmonary_arteries_mmHg", p.prev_pulmonary_arteries_mmHg);
  w("prev_aortic_valve_mL_s", p.prev_aortic_valve_mL_s);
  w("prev_systemic_outflow_mL_s", p.prev_systemic_outflow_mL_s);
  w("prev_left_coronary_mL_s", p.prev_left_coronary_mL_s);
  w("prev_left_ventricle_mmHg", p.prev_left_ventricle_mmHg);
  w("prev_left_ventricle_mL", p.prev_left_ventricle_mL);
  w("prev_coronary_inflow_mL_s", p.prev_coronary_inflow_mL_s);
  w("prev_coronary_distal_mmHg", p.prev_coronary_distal_mmHg);
  w("prev_device", p.prev_device);
  w("duration", p.duration);
  w("int_aop", p.int_aop);
  w("int_la", p.int_la);
  w("int_ra", p.int_ra);
  w("int_pa", p.int_pa);
  w("int_av", p.int_av);
  w("int_sys_out", p.int_sys_out);
  w("int_cor", p.int_cor);
  w("int_cor_distal", p.int_cor_distal);
  w("int_cor_distal_systolic", p.int_cor_distal_systolic);
  w("int_cor_systolic", p.int_cor_systolic);
  w("int_left_cor_dia", p.int_left_cor_dia);
  w("int_left_cor", p.int_left_cor);
  w("int_aop_systolic", p.int_aop_systolic);
  w("work", p.work);
  w("aop_max", p.aop_max);
  w("aop_max_all", p.aop_max_all);
  w("aop_min", p.aop_min);
  w("pa_max", p.pa_max);
  w("pa_min", p.pa_min);
  w("lv_max", p.lv_max);
  w("dpdt_max", p.dpdt_max);
  w("tau_s", p.tau_s);
  w("prev_dpdt", p.prev_dpdt);
  w("prev2_dpdt", p.prev2_dpdt);
  w("prev_dt", p.prev_dt);
  w("v_min", p.v_min);
  w("p_at_v_min", p.p_at_v_min);
  w("regional_ed", p.regional_ed);
  w("regional_es", p.regional_es);
  w("regional_at_v_min", p.regional_at_v_min);
  w("edv", p.edv);
  w("edp", p.edp);
  w("device_acc", p.device_acc);
  w("device_run", p.device_run);
  w("t_end_ejection", p.t_end_ejection);
  w("t_start_ejection", p.t_start_ejection);
  w("t_valve_closure", p.t_valve_closure);
  w("e_max", p.e_max);
  w("p_es", p.p_es);
  w("v_es", p.v_es);
  w("passive_share_es", p.passive_share_es);
  w("passive_bulge_es", p.passive_bulge_es);
  w("q_av_peak", p.q_av_peak);
  w("ejection_ended", p.ejection_ended);
}

template <class W>
void walk(W& w, RunState& r) {
  w("t_s", r.t_s);
  w("y", r.y);
  w.enter("inputs");
  w.enter("cycle");
  walk(w, r.inputs.cycle);
  w.leave();
  w.enter("efferent_history");
  Forward<W> f{w};
  r.inputs.efferent_history.visit(f);
  w.leave();
  w("regional_contractility", r.inputs.regional_contractility);
  w("coronary_inflow_fraction", r.inputs.coronary_inflow_fraction);
  w("microvascular_fraction", r.inputs.microvascular_fraction);
  w("infusion_mL_s", r.inputs.infusion_mL_s);
  w("bleeding_mL_s", r.inputs.bleeding_mL_s);
  w("drug_dose", r.inputs.drug_dose);
  // Device settings: every slot of every device, as one array.
  std::vector<double> settings;
  for (const auto& d : r.inputs.device_settings) {
    settings.insert(settings.end(), d.value.begin(), d.value.end());
  }
  w("device_settings", settings);
  if constexpr (W::reading) {
    for (std::size_t k = 0; k < r.inputs.device_settings.size(); ++k) {
      for (std::size_t i = 0; i < physio::max_device_settings; ++i) {
        const std::size_t j = k * physio::max_device_settings + i;
        if (j < settings.size()) r.inputs.device_settings[k].value[i] = settings[j];
      }
    }
  }
  w("previous_ejection_end_s", r.inputs.previous_ejection_end_s);
  w.enter("rhythm");
  walk_rhythm(w, "rhythm", r.inputs.rhythm.rhythm);
  w("rate_bpm", r.inputs.rhythm.rate_bpm);
  w("random_low", r.inputs.rhythm.random_low);
  w("random_high", r.inputs.rhythm.random_high);
  w("vf_onset_s", r.inputs.rhythm.vf_onset_s);
  w.leave();
  w.leave();
  const std::pair<const char*, physio::PlantWorkspace*> workspaces[] = {
      {"integration_ws", &r.integration_ws},
      {"sample_ws", &r.sample_ws},
      {"control_ws", &r.control_ws}};
  for (auto& [name, ws] : workspaces) {
    w.enter(name);
    walk(w, *ws);
    w.leave();
  }
  w("integrator.controller", r.integrator.controller);
  w("integrator.steps", r.integrator.stats.steps);
  w("integrator.rejected_steps", r.integrator.stats.rejected_steps);
  w("integrator.rhs_evaluations", r.integrator.stats.rhs_evaluations);
  w.enter("beat");
  walk(w, r.beat);
  w.leave();
  w("next_history", r.next_history);
  w("next_metric", r.next_metric);
  w("dense_metrics", r.dense_metrics);
  w("next_tick", r.next_tick);
  w("beats_done", r.beats_done);
  // Events: five numbers each (time, kind, device, setting, value).
  std::vector<double> events;
  for (const auto& e : r.timeline) {
    events.insert(events.end(),
                  {e.time_s, static_cast<double>(e.kind), static_cast<double>(e.device),
                   static_cast<double>(e.setting), e.value});
  }
  w.visitor().variable(true);
  w("timeline", events);
  if constexpr (W::reading) {
    if (events.size() % 5 != 0) {
      throw InputError("state: field 'restart.timeline' must hold 5 numbers per event");
    }
    r.timeline.resize(events.size() / 5);
    for (std::size_t i = 0; i < r.timeline.size(); ++i) {
      const double* e = &events[5 * i];
      const auto whole = [](double v, double limit) {
        if (!(v >= 0 && v < limit && v == std::floor(v))) {
          throw InputError(
              "state: an event of 'restart.timeline' names no kind, device or setting");
        }
        return v;
      };
      r.timeline[i] = {e[0], static_cast<EventKind>(static_cast<int>(whole(e[1], kEventKindCount))),
                       static_cast<std::uint32_t>(whole(e[2], 1e6)),
                       static_cast<std::uint32_t>(whole(e[3], 1e6)), e[4]};
    }
  }
  w("next_event", r.next_event);
  w("consoles", r.consoles);
  w.visitor().variable(false);
}

template <class W>
void walk(W& w, State& s) {
  w("t_s", s.t_s);
  w.enter("restart");
  walk(w, s.restart);
  w.leave();
  for (std::size_t i = 0; i < s.recent.size(); ++i) {
    w.enter("recent[" + std::to_string(i) + "]");
    walk(w, s.recent[i]);
    w.leave();
  }
}

template <class T>
double as_number(T x) {
  return static_cast<double>(x);
}

// Writes every field into a record.
struct Writer {
  static constexpr bool reading = false;
  StateRecord& out;
  void variable(bool) {}
  void operator()(const std::string& name, std::vector<double>& v) {
    out.fields.emplace_back(name, v);
  }
  template <class T>
  void operator()(const std::string& name, T& x) {
    out.fields.emplace_back(name, std::vector<double>{as_number(x)});
  }
};

// Reads every field from a record; a field's length must match the template State's unless the
// field is variable.
struct Reader {
  static constexpr bool reading = true;
  const std::map<std::string, const std::vector<double>*>& in;
  bool variable_ = false;
  void variable(bool v) { variable_ = v; }
  const std::vector<double>& field(const std::string& name, std::size_t size) const {
    const auto it = in.find(name);
    if (it == in.end()) throw InputError("state: field '" + name + "' is missing");
    if (!variable_ && it->second->size() != size) {
      throw InputError("state: field '" + name + "' has " + std::to_string(it->second->size()) +
                       " numbers (expected " + std::to_string(size) +
                       " for this patient and its devices)");
    }
    return *it->second;
  }
  void operator()(const std::string& name, std::vector<double>& v) { v = field(name, v.size()); }
  void operator()(const std::string& name, double& x) { x = field(name, 1)[0]; }
  void operator()(const std::string& name, bool& x) { x = whole(name) != 0; }
  template <class T>
  void operator()(const std::string& name, T& x) {
    x = static_cast<T>(whole(name));
  }
  double whole(const std::string& name) const {
    const double v = field(name, 1)[0];
    if (!(std::isfinite(v) && v == std::floor(v) && std::abs(v) < 9.0e15)) {
      throw InputError("state: field '" + name + "' must be a whole number");
    }
    return v;
  }
};

}  // namespace

StateRecord to_record(const State& s) {
  StateRecord r;
  Writer writer{r};
  Walker<Writer> w(writer);
  walk(w, const_cast<State&>(s));  // the writer only reads
  r.fields.insert(r.fields.begin(), {"model_fingerprint_low",
                                     {static_cast<double>(s.model_fingerprint & 0xffffffffULL)}});
  r.fields.insert(r.fields.begin() + 1,
                  {"model_fingerprint_high", {static_cast<double>(s.model_fingerprint >> 32)}});
  return r;
}

State from_record(const StateRecord& record, const Model& model) {
  std::map<std::string, const std::vector<double>*> by_name;
  for (const auto& [name, values] : record.fields) by_name[name] = &values;
  // A template of the right sizes for this model.
  State s = rest_state(model);
  Reader reader{by_name};
  const std::uint64_t low = static_cast<std::uint64_t>(reader.whole("model_fingerprint_low"));
  const std::uint64_t high = static_cast<std::uint64_t>(reader.whole("model_fingerprint_high"));
  const std::uint64_t fingerprint = (high << 32) | low;
  if (fingerprint != model.fingerprint()) {
    throw InputError(
        "state: it belongs to another model (a different patient, devices or numerics): "
        "fingerprint " +
        to_hex16(fingerprint) + ", this model's " + to_hex16(model.fingerprint()));
  }
  Walker<Reader> w(reader);
  walk(w, s);
  s.model_fingerprint = fingerprint;
  check_state(s, model);
  return s;
}

void check_state(const State& s, const Model& model) {
  const auto fail = [](const std::string& what) { throw InputError("state: " + what); };
  if (s.model_fingerprint != model.fingerprint()) {
    fail("it belongs to another model (a different patient, devices or numerics)");
  }
  const RunState& r = s.restart;
  const auto& plant = model.plant();
  if (r.y.size() != plant.state_size()) fail("the state vector has the wrong size");
  for (double v : r.y) {
    if (!std::isfinite(v)) fail("the state vector holds a value that is not finite");
  }
  if (!(std::isfinite(r.t_s) && std::isfinite(s.t_s) && r.t_s <= s.t_s)) {
    fail("its times are not finite or the session's time is before the restart point");
  }
  // The reflex delay line must be the Model's grid, and hold the samples up to the restart point.
  physio::EfferentHistory expected;
  expected.reset(0.0, model.options().history_interval_s, plant.longest_reflex_delay_s() + 0.5,
                 plant.efferent_activity_at_rest());
  const auto& history = r.inputs.efferent_history;
  if (history.interval_s() != expected.interval_s() || history.size() != expected.size()) {
    fail("its reflex delay line is not on this model's grid");
  }
  const double h = expected.interval_s();
  if (r.next_history < 1 || r.next_history != history.newest_index() + 1 ||
      !(history.sample_time(r.next_history) > r.t_s - 1.0001 * h &&
        history.sample_time(r.next_history) <= r.t_s + 1.0001 * h)) {
    fail("its reflex delay line does not reach the restart point");
  }
  const auto& c = r.inputs.cycle;
  if (!(std::isfinite(c.period_s) && c.period_s > 0 && c.beat_start_s <= r.t_s &&
        r.t_s <= c.beat_start_s + c.period_s)) {
    fail("its beat clock does not contain the restart point");
  }
  if (r.next_metric < 1 || r.dense_metrics < 0 || r.next_tick < 0 || r.beats_done < 0) {
    fail("a grid position is negative");
  }
  {
    const auto& rh = r.inputs.rhythm;
    const bool vt = rh.rhythm == physio::Rhythm::vt, paced = rh.rhythm == physio::Rhythm::paced;
    if ((vt && !(rh.rate_bpm >= physio::kMinVtRate_bpm && rh.rate_bpm <= physio::kMaxVtRate_bpm)) ||
        (paced &&
         !(rh.rate_bpm >= physio::kMinPacedRate_bpm && rh.rate_bpm <= physio::kMaxPacedRate_bpm))) {
      fail("its rhythm's rate is out of range");
    }
    if (!std::isfinite(rh.vf_onset_s)) fail("its VF onset time is not finite");
  }
  for (double f : r.inputs.coronary_inflow_fraction) {
    if (!(f >= 0.0 && f <= 1.0)) fail("a coronary inflow fraction is outside 0 to 1");
  }
  for (double f : r.inputs.microvascular_fraction) {
    if (!(f >= 0.0 && f <= 1.0)) fail("a coronary microvascular fraction is outside 0 to 1");
  }
  for (double q : {r.inputs.infusion_mL_s, r.inputs.bleeding_mL_s}) {
    if (!(q >= 0.0 && q <= kMaxFluidRate_mL_s))
      fail("an infusion or bleeding rate is out of range");
  }
  for (std::size_t d = 0; d < physio::drug_count; ++d) {
    const double dose = r.inputs.drug_dose[d];
    if (!(dose >= 0.0 && dose <= model.patient().drugs[d].maximum_dose)) {
      fail("a drug's dose is out of range");
    }
  }
  // Device settings within their ranges.
  const auto devices = model.devices();
  if (r.inputs.device_settings.size() != devices.size()) fail("it has the wrong number of devices");
  for (std::size_t k = 0; k < devices.size(); ++k) {
    const auto specs = devices[k].block->setting_specs();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const double v = r.inputs.device_settings[k].value[i];
      if (!(v >= specs[i].min && v <= specs[i].max)) {
        fail(std::string(devices[k].block->kind()) + " " + std::string(specs[i].name) +
             " is out of its range");
      }
    }
  }
  // Events: each names a device and setting of this model, in time order.
  if (r.next_event > r.timeline.size()) fail("its timeline position is past the timeline");
  for (std::size_t i = 0; i < r.timeline.size(); ++i) {
    const Event& e = r.timeline[i];
    if (!std::isfinite(e.time_s) || (i > 0 && e.time_s < r.timeline[i - 1].time_s)) {
      fail("its timeline is not in time order");
    }
    if (e.kind == EventKind::coronary_inflow || e.kind == EventKind::coronary_microvascular) {
      if (e.device >= physio::territory_count || e.setting > max_coronary_setting(e.kind) ||
          !(e.value >= 0 && e.value <= 1)) {
        fail("its timeline holds a coronary event out of range");
      }
      continue;
    }
    if (e.kind == EventKind::infusion_rate || e.kind == EventKind::bleeding_rate) {
      if (e.device != 0 || e.setting != 0 || !(e.value >= 0 && e.value <= kMaxFluidRate_mL_s)) {
        fail("its timeline holds an infusion or bleeding event out of range");
      }
      continue;
    }
    if (e.kind == EventKind::drug_dose) {
      if (e.device >= physio::drug_count || e.setting != 0 || !(e.value >= 0) ||
          !(e.value <= model.patient().drugs[e.device].maximum_dose)) {
        fail("its timeline holds a drug event out of range");
      }
      continue;
    }
    if (e.kind == EventKind::rhythm) {
      const bool known = e.device < static_cast<std::uint32_t>(physio::kRhythmCount) &&
                         e.setting == 0 && std::isfinite(e.value);
      if (!known || (!physio::takes_rate(static_cast<physio::Rhythm>(e.device)) && e.value != 0)) {
        fail("its timeline holds a rhythm event out of range");
      }
      continue;
    }
    if (e.kind == EventKind::defibrillation) {
      if (e.device != 0 || e.setting != 0 || e.value != 0) {
        fail("its timeline holds a defibrillation out of range");
      }
      continue;
    }
    if (e.kind == EventKind::console_input) {
      if (e.device >= devices.size() || !is_console_input(e.setting) || !std::isfinite(e.value)) {
        fail("its timeline holds a console input out of range");
      }
      continue;
    }
    if (e.kind != EventKind::device_setting && e.kind != EventKind::operator_setting) {
      fail("its timeline holds an event of unknown kind");
    }
    if (e.device >= devices.size() ||
        e.setting >= devices[e.device].block->setting_specs().size()) {
      fail("its timeline names a device or setting this model does not have");
    }
    const auto& spec = devices[e.device].block->setting_specs()[e.setting];
    if (!(e.value >= spec.min && e.value <= spec.max)) {
      fail("its timeline sets " + std::string(spec.name) + " out of its range");
    }
  }
}

bool identical(const State& a, const State& b) {
  if (a.model_fingerprint != b.model_fingerprint) return false;
  const StateRecord ra = to_record(a), rb = to_record(b);
  if (ra.fields.size() != rb.fields.size()) return false;
  for (std::size_t i = 0; i < ra.fields.size(); ++i) {
    const auto& [na, va] = ra.fields[i];
    const auto& [nb, vb] = rb.fields[i];
    if (na != nb || va.size() != vb.size()) return false;
    if (!va.empty() && std::memcmp(va.data(), vb.data(), va.size() * sizeof(double)) != 0) {
      return false;
    }
  }
  return true;
}

std::uint64_t state_fingerprint(const State& s) {
  Fingerprint f;
  for (const auto& [name, values] : to_record(s).fields) {
    f.add(name);
    for (double v : values) f.add(std::bit_cast<std::uint64_t>(v));
  }
  return f.value();
}

}  // namespace unload::sim
