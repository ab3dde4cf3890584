// Typed events on a run's timeline. A scenario's [[events]] become Events when the scenario is
// loaded (and checked there, with file, line and key); a front end (a live console, Python) applies
// the same Events through the Session. The simulation applies an event at its time, after every
// sample, the end of a beat and the control tick that fall on the same instant, so an event given
// in a timeline and one applied through the Session at that time have the same effect.
//
// Kinds grow with the procedure (balloon inflation, rhythm, drug, fluid, fault): each is one
// enumerator here, its fields below, and one case in Session::apply_event. Front ends do not
// change.
#pragma once

#include <cstdint>
#include <string_view>

namespace unload::sim {

enum class EventKind : std::uint8_t {
  // A physical change of a device (its position, an occluded purge line, a failed motor) or any
  // setting of a device without a console: the device's setting changes at once.
  device_setting,
  // A setting an operator enters on a device's console (a performance level, a purge flow). With
  // a console attached the console decides what the device receives (from its next control
  // tick); without one, the device's setting changes at once.
  operator_setting,
  // What is left of a coronary territory's inflow conductance, from 0 (a balloon occluding it)
  // to 1 (open: the balloon deflated, a stent placed). Acts at once.
  coronary_inflow,
  // The rate of fluid infused into the vena cava (mL/s, >= 0; the sum of the infusions running
  // from this time on). Acts at once.
  infusion_rate,
  // The rate of bleeding from the systemic arteries (mL/s, >= 0; the sum of the bleeds running
  // from this time on). Acts at once.
  bleeding_rate,
  // The infusion rate of a vasoactive drug (in its unit, mcg/kg/min; 0 stops it). Its effect
  // follows with the drug's onset or offset time constant.
  drug_dose,
  // What is left of a coronary territory's microvascular conductance, from 0 to 1 (open): a
  // no-reflow after a stent or an atherectomy; below 1 the territory has no flow reserve. Acts at
  // once.
  coronary_microvascular,
  // The heart's rhythm (physio::Rhythm) from the next R wave on (at once in VF and asystole, which
  // have no beat under way).
  rhythm,
  // A defibrillation shock: sinus rhythm from the next R wave (at once in VF) when the rhythm is
  // VF or VT; in any other rhythm it changes nothing.
  defibrillation,
  // Operator input that a device's console takes for itself (AUTO, acknowledging or muting
  // alarms, confirming a regular check, weaning): `device` is the device whose console it is,
  // `setting` the CommandKind's number, `value` its value. Needs a console on that device.
  console_input,
};
inline constexpr int kEventKindCount = 10;

// Largest infusion and bleeding rates an event may set (mL/s): 100 mL/s = 6 L/min, beyond a
// pressure bag or a ruptured artery.
inline constexpr double kMaxFluidRate_mL_s = 100.0;

std::string_view to_string(EventKind kind);

inline constexpr std::uint32_t kCoronaryTransient = 0, kCoronaryLasting = 1;
// The largest `setting` a coronary event may carry: the inflow's lasting flag; 0 for the
// microcirculation (a no-reflow is always transient).
constexpr std::uint32_t max_coronary_setting(EventKind kind) {
  return kind == EventKind::coronary_inflow ? kCoronaryLasting : kCoronaryTransient;
}

struct Event {
  double time_s = 0;
  EventKind kind = EventKind::device_setting;
  // device_setting, operator_setting: which attached device, which of its settings (index into
  // its SettingSpec list), and the value in the setting's unit. coronary_inflow: `device` is the
  // coronary territory (0 LAD, 1 LCx, 2 RCA, as physio::territory_names), `value` the fraction of
  // its inflow conductance left (0 to 1); `setting` is kCoronaryTransient (0: a balloon inflated
  // or deflated) or kCoronaryLasting (1: a stenosis, or a stent that treats one: the level the
  // territory's balloons deflate back to, which a procedure's metrics do not count as ischaemia;
  // the circulation is changed the same way). infusion_rate, bleeding_rate: `value`
  // is the rate (mL/s, 0 to kMaxFluidRate_mL_s); `device` and `setting` are 0. drug_dose:
  // `device` is the drug (index into physio::drug_names), `value` the rate (0 to the drug's
  // maximum_dose); `setting` is 0. coronary_microvascular: as coronary_inflow, `value` the
  // fraction of the territory's microvascular conductance left.
  // is the rate (mL/s, 0 to kMaxFluidRate_mL_s); `device` and `setting` are 0. rhythm: `device`
  // is the rhythm (physio::Rhythm's number), `value` the rate (1/min) for vt and paced (within
  // physio's limits) and 0 for the others; `setting` is 0. defibrillation: all 0. console_input:
  // see EventKind.
  std::uint32_t device = 0;
  std::uint32_t setting = 0;
  double value = 0;

  bool operator==(const Event&) const = default;
};

}  // namespace unload::sim
