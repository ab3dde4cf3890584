// The bench characteristic of a micro-axial pump (Impella-type): its pressure head and the
// torques on its rotor as functions of rotor speed and flow. One copy of these laws serves the
// pump block that simulates the machine (devices/micro_axial_pump.cpp, whose header comment gives
// the whole model) and the console that estimates flow and LV pressure from the motor's signals
// (control/pump_estimator.hpp): the console knows its pump as the manufacturer's bench
// characterisation does, never the patient. Units: rotor speed w in krpm, flow Q in mL/s, head in
// mmHg, torques in mN*m, current in mA.
//
//   g(w) = 1 / (1 + (w / w_stall)^2)                     stopped blades block the lumen
//   H    = a*w*|w| + b*w*Q - (c + k_stall*g(w))*Q*|Q|    head, inlet to outlet (HQ curve,
//                                                        affinity-law speed scaling)
//   L * dQ/dt = H - (P_outlet - P_inlet)                 (L: the blood column's inertance)
//   T_h  = kappa * Q * (a*|w| + b*Q) / eta_v             hydraulic torque (Euler head*Q/speed)
//   T_f  = T_c*sg(w / w_c) + d*w,  sg(v) = v/sqrt(1+v^2) friction (bearings, disc friction)
//   I    = I_0 + 1000 * T_m / k_t                        motor current of a motor torque T_m
//   J * dw/dt = T_m - T_h - T_f                          torque balance on the rotor
// kappa converts mmHg*mL/s per krpm into mN*m; w_c (1 krpm) only smooths the friction's sign
// change around w = 0 (a numerical width, not a parameter).
//
// The coefficients come from the pump's data file (data/devices/impella-*.toml); pump_curves()
// reads them by their keys there, so the device and the console's loader read one list.
#pragma once

#include <algorithm>
#include <cmath>
#include <string_view>

#include "unload/core/units.hpp"

namespace unload {

struct PumpCurves {
  double pressure_coefficient = 0;     // a, mmHg/krpm^2
  double flow_speed_coefficient = 0;   // b, mmHg*s/(mL*krpm)
  double loss_coefficient = 0;         // c, mmHg*s^2/mL^2
  double inertance = 0;                // L, mmHg*s^2/mL
  double stopped_rotor_loss = 0;       // k_stall, mmHg*s^2/mL^2
  double per_stopped_rotor_speed = 0;  // 1/w_stall, 1/krpm
  double torque_per_power = 0;         // kappa/eta_v, mN*m per (mmHg*mL/s per krpm)
  double rotor_inertia = 0;            // J, g*cm^2
  double torque_constant = 0;          // k_t, mN*m/A
  double no_load_current = 0;          // I_0, mA
  double friction_torque = 0;          // T_c, mN*m
  double viscous_friction = 0;         // d, mN*m/krpm

  // Torque (mN*m) of a hydraulic power of 1 mmHg*mL/s at 1 krpm: 1.33322e-4 W /
  // (1000*2*pi/60 rad/s) * 1000 mN*m/(N*m).
  static constexpr double torque_per_power_over_speed =
      units::joule_per_mmHg_mL * 1000.0 / (1000.0 * 2.0 * 3.14159265358979323846 / 60.0);
  // Rotor acceleration: dw/dt [krpm/s] = T [mN*m] * this / J [g*cm^2]
  // (1 mN*m / 1 g*cm^2 = 1e4 rad/s^2 = 1e4 * 60 / (2*pi*1000) krpm/s).
  static constexpr double acceleration_per_torque =
      1e4 * 60.0 / (2.0 * 3.14159265358979323846 * 1000.0);
  static constexpr double coulomb_speed_scale_krpm = 1.0;

  // g(w): 1 for a stopped rotor, falling to 0 as it turns.
  double stopped_blockage(double w_krpm) const {
    const double w_rel = w_krpm * per_stopped_rotor_speed;
    return 1.0 / (1.0 + w_rel * w_rel);
  }
  // H(w, Q), mmHg.
  double head_mmHg(double w_krpm, double q_mL_s) const {
    return pressure_coefficient * w_krpm * std::abs(w_krpm) +
           flow_speed_coefficient * w_krpm * q_mL_s -
           (loss_coefficient + stopped_rotor_loss * stopped_blockage(w_krpm)) * q_mL_s *
               std::abs(q_mL_s);
  }
  // T_h(w, Q), mN*m.
  double hydraulic_torque_mN_m(double w_krpm, double q_mL_s) const {
    return torque_per_power * q_mL_s *
           (pressure_coefficient * std::abs(w_krpm) + flow_speed_coefficient * q_mL_s);
  }
  // T_f(w), mN*m.
  double friction_torque_mN_m(double w_krpm) const {
    const double v = w_krpm / coulomb_speed_scale_krpm;
    return friction_torque * v / std::sqrt(1.0 + v * v) + viscous_friction * w_krpm;
  }
  // T_m(I), mN*m: the motor torque that draws current I (inverse of I = I_0 + 1000 T_m / k_t).
  double motor_torque_mN_m(double current_mA) const {
    return (current_mA - no_load_current) * (torque_constant * 1e-3);
  }
  // The flow Q that loads a rotor turning at w with hydraulic torque T_h: the root of
  // b*Q^2 + a*|w|*Q - T_h/(kappa/eta_v) = 0 that is continuous through Q = 0, written without
  // cancellation. Needs a*|w| > 0 (a turning rotor). With k = kappa/eta_v and x = T_h/k:
  //   Q = 2x / (a|w| + sqrt(a^2 w^2 + 4bx)) = 2T_h / (k a|w| + sqrt((k a|w|)^2 + 4bk T_h)),
  // the second form with one division (this runs at every console tick).
  double flow_of_hydraulic_torque_mL_s(double w_krpm, double torque_mN_m) const {
    const double kaw = torque_per_power * pressure_coefficient * std::abs(w_krpm);
    const double disc = kaw * kaw + 4.0 * flow_speed_coefficient * torque_per_power * torque_mN_m;
    return 2.0 * torque_mN_m / (kaw + std::sqrt(std::max(disc, 0.0)));
  }
};

// The curves from the pump's data file: `at(key)` gives the value of a key of
// data/devices/impella-*.toml (e.g. "hydraulics.pressure_coefficient").
template <class Lookup>
PumpCurves pump_curves(Lookup at) {
  PumpCurves c;
  c.pressure_coefficient = at(std::string_view("hydraulics.pressure_coefficient"));
  c.flow_speed_coefficient = at(std::string_view("hydraulics.flow_speed_coefficient"));
  c.loss_coefficient = at(std::string_view("hydraulics.loss_coefficient"));
  c.inertance = at(std::string_view("hydraulics.inertance"));
  c.stopped_rotor_loss = at(std::string_view("hydraulics.stopped_rotor_loss"));
  c.per_stopped_rotor_speed = 1.0 / at(std::string_view("hydraulics.stopped_rotor_speed"));
  c.torque_per_power =
      PumpCurves::torque_per_power_over_speed / at(std::string_view("motor.volumetric_efficiency"));
  c.rotor_inertia = at(std::string_view("motor.rotor_inertia"));
  c.torque_constant = at(std::string_view("motor.torque_constant"));
  c.no_load_current = at(std::string_view("motor.no_load_current"));
  c.friction_torque = at(std::string_view("motor.friction_torque"));
  c.viscous_friction = at(std::string_view("motor.viscous_friction"));
  return c;
}

}  // namespace unload
