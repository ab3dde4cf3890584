// Percutaneous micro-axial left-ventricular pump (Impella-type), family members 2.5, CP and 5.5:
// one block, the member chosen by its data file (data/devices/impella-*.toml). Units: mmHg, mL,
// mL/s, s; rotor speed w in krpm; torques in mN*m; currents in mA.
//
// States (after the circulation's):
//   Q    pump flow, inlet -> outlet (mL/s; negative = backflow through the cannula)
//   w    rotor speed (krpm)
//   z    integral part of the speed controller (mN*m)
//   Pp   purge pressure (mmHg)
//   Ps   pressure in the placement signal's lumen as a blocked lumen would show it (mmHg)
// The haemolysis index HI (blood whose haemoglobin the pump has released, as mL of whole blood
// fully lysed: multiply by the haemoglobin concentration for grams, divide by the patient's blood
// volume for a fraction) is not a state: the pump reports its rate dHI/dt and the recorders
// integrate it over the run (ReadingSpec summary `cumulative`).
//
// Hydraulics (pressure head H from inlet to outlet; an HQ curve with affinity-law speed scaling):
//   s      = 1 / (1 + exp((V_lv - V_lv0 - m_half) / m_width))   inlet obstruction (suction),
//            V_lv0 the LV's unstressed volume; 0 unless the inlet lies in the LV
//   phi(s) = s / (1 - s + eps)                       how much the narrowed inlet adds (0 .. 1/eps)
//   g(w)   = 1 / (1 + (w / w_stall)^2)               stopped blades block the lumen
//   H      = a*w*|w| + b*w*Q - (c + k_stall*g(w))*Q*|Q| - R_s*phi(s)*Q
//   (L + L_s*phi(s)) * dQ/dt = H - (P_outlet - P_inlet)
// a, b, c are calibrated so that each performance level gives the IFU flow at P_outlet - P_inlet =
// 60 mmHg; k_stall sets the leak of a stopped pump lying across the aortic valve (aortic
// insufficiency). The inlet obstruction adds a resistance and an inertance in the same proportion,
// so its time constant L_s/R_s stays fixed as the inlet closes (a numerical choice, like the closed
// valves' effective length: without it the collapsing inlet would be a stiff time scale).
//
// Motor (brushless DC motor with a PI speed controller holding the set speed w_set):
//   T_h  = kappa * Q * (a*|w| + b*Q) / eta_v      hydraulic torque = Euler head*Q/speed / eta_v
//   T_f  = T_c*sg(w / w_c) + d*w                  friction (bearings, disc friction in blood);
//                                                 sg(v) = v/sqrt(1 + v^2), a smooth sign
//   u    = Kp*(w_set - w) + z,   T_m = on * u / (1 + (u/T_max)^8)^(1/8)     (smooth torque limit)
//   J * dw/dt = T_m - T_h - T_f
//   dz/dt = Ki*(w_set - w) + (Ki/Kp)*(T_m - u)    (back-calculation anti-windup)
//   I    = on * (I_0 + T_m / k_t)                 motor current (torque constant, no-load current)
// kappa converts mmHg*mL/s per krpm into mN*m. "on" is 0 at P-0 (motor switched off) or with a
// motor failure: the rotor then coasts down and the stopped pump leaks backwards. The current
// follows the flow: pulsatile across the valve (Q follows the beat's pressure difference), flat
// with inlet and outlet in one chamber, low when suction chokes the inlet.
//
// Purge (fluid pushed by the console's cassette through the line into the motor, against blood):
//   R_p   = R_ref * exp(k_mu*(D - D_ref)) / (1 - o + eps_o)      D dextrose %, o line occlusion
//   F_out = (Pp - P_outlet) / R_p                                 purge flow into the pump (mL/h)
//   F_in  = S * F_set / (1 + exp((Pp - P_max) / w_p))             cassette flow, pressure-limited;
//                                                                 S the supply (purge_supply: 1
//                                                                 normal, 0 the purge bag is empty)
//   3600 * C_p * dPp/dt = F_in - F_out
// The purge fluid (~10 mL/h) is NOT added to the patient's blood: the circulation conserves its
// blood volume exactly (a checked invariant) and the purge volume is negligible over a procedure.
//
// Blood damage (Giersiepen et al., Int J Artif Organs 1990;13:300, power law per pass):
//   dHb/Hb [%] = 3.62e-5 * t^0.785 * tau^2.416,   t = V_exp / |Q| (s),  tau (Pa)
//   tau   = tau_ref * (|w| / w_ref)^n * (1 + k_s*s)     representative shear; rises with speed
//           and with suction (jet through the obstructed inlet)
//   dHI/dt = |Q| * (dHb/Hb) / 100                       (|Q|, |w| smoothed near 0; reported
//                                                        in mL/h as haemolysis_rate_mL_h)
//
// Position (setting, read at every evaluation): 0 correct (inlet in the LV about 3.5 cm below the
// valve, outlet in the aortic root: LV -> aortic root), 1 too deep (whole pump in the LV:
// LV -> LV), 2 too shallow (whole pump in the aorta: aortic root -> aortic root). The placement
// signal is the pressure at the outlet area: aortic, ventricular, aortic.
//
// Sensor faults change readings only, never the dynamics (faults as timeline events:
// io/faults.hpp):
//   placement signal blocked (setting placement_sensor_blocked = 1): the lumen to the pressure
//   sensor is blocked (a thrombus), so the sensor sees the outlet-area pressure through a very
//   high resistance into its own compliance, a first-order lag with time constant tau_b; open,
//   the lumen follows within tau_o (its reading is then P_outlet itself, tau_o only keeps Ps
//   close to it for the moment the lumen blocks):
//     tau * dPs/dt = P_outlet - Ps,  tau = blocked ? tau_b : tau_o
//     placement signal = blocked ? Ps : P_outlet
//   With tau_b of seconds the beat's pulse is gone (the first harmonic at 72/min falls to 1/23 at
//   3 s) and the mean remains. Ps starts at 0 and follows the mean within 5 tau_b.
//   motor current sensor noisy (setting current_sensor_noise = 1, since
//   current_sensor_fault_start_s = t0): the reading is the true current plus white noise held over
//   intervals dt_n and a drift,
//     I_read = I + A * (2 u(k) - 1) + r * max(t - t0, 0),   k = round(t / dt_n),
//   u(k) in [0, 1) a hash (SplitMix64) of k and the seed: a pure function of time, so the reading
//   is the same whatever steps the integrator takes, and reproducible bit for bit.
#include "unload/devices/micro_axial_pump.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <system_error>

#include "unload/core/pump_characteristic.hpp"
#include "unload/core/units.hpp"
#include "unload/devices/setting_text.hpp"

namespace unload::devices {

namespace {

using physio::BeatSummary;
using physio::DeviceContext;
using physio::DeviceReadings;
using physio::DeviceSettings;
using physio::ReadingSpec;
using physio::SettingSpec;
using physio::Site;
using physio::SiteFlows;
using unload::CommandKind;

constexpr DeviceParameterSpec kParameterSpecs[] = {
    // Which family member the file describes: 1 = 2.5, 2 = CP, 3 = 5.5 (the factory is not told
    // the kind's name).
    {"family.member", "1", 1, 3},
    {"levels.p1", "rpm", 0, 100000},
    {"levels.p2", "rpm", 0, 100000},
    {"levels.p3", "rpm", 0, 100000},
    {"levels.p4", "rpm", 0, 100000},
    {"levels.p5", "rpm", 0, 100000},
    {"levels.p6", "rpm", 0, 100000},
    {"levels.p7", "rpm", 0, 100000},
    {"levels.p8", "rpm", 0, 100000},
    {"levels.p9", "rpm", 0, 100000},
    {"levels.boost", "rpm", 0, 100000},
    {"levels.highest", "1", 8, 9},
    {"hydraulics.pressure_coefficient", "mmHg/krpm2", 0, 10},
    {"hydraulics.flow_speed_coefficient", "mmHg*s/(mL*krpm)", -1, 1},
    {"hydraulics.loss_coefficient", "mmHg*s2/mL2", 0, 10},
    {"hydraulics.inertance", "mmHg*s2/mL", 1e-4, 1},
    {"hydraulics.stopped_rotor_loss", "mmHg*s2/mL2", 0, 10},
    {"hydraulics.stopped_rotor_speed", "krpm", 0.1, 20},
    {"motor.rotor_inertia", "g*cm2", 1e-4, 10},
    {"motor.torque_constant", "mN*m/A", 0.01, 100},
    {"motor.no_load_current", "mA", 0, 2000},
    {"motor.friction_torque", "mN*m", 0, 10},
    {"motor.viscous_friction", "mN*m/krpm", 0, 1},
    {"motor.volumetric_efficiency", "1", 0.1, 1},
    {"motor.max_torque", "mN*m", 0.1, 100},
    {"speed_control.proportional_gain", "mN*m/krpm", 1e-4, 100},
    {"speed_control.integral_gain", "mN*m/(krpm*s)", 1e-3, 1e4},
    {"suction.onset_margin", "mL", 0, 200},
    {"suction.width", "mL", 0.1, 50},
    {"suction.obstruction_resistance", "mmHg*s/mL", 0, 100},
    {"suction.obstruction_inertance", "mmHg*s2/mL", 0, 10},
    {"suction.minimum_open_fraction", "1", 1e-4, 0.5},
    {"purge.resistance", "mmHg*h/mL", 1, 1e4},
    {"purge.reference_dextrose", "%", 0, 50},
    {"purge.viscosity_coefficient", "1/%", 0, 1},
    {"purge.residual_open_fraction", "1", 1e-5, 0.5},
    {"purge.compliance", "mL/mmHg", 1e-7, 1},
    {"purge.max_pressure", "mmHg", 100, 5000},
    {"purge.default_flow", "mL/h", 0, 50},
    {"purge.default_dextrose", "%", 5, 40},
    {"haemolysis.reference_shear_stress", "Pa", 1e-3, 1000},
    {"haemolysis.reference_speed", "krpm", 1, 100},
    {"haemolysis.speed_exponent", "1", 0, 4},
    {"haemolysis.suction_shear_factor", "1", 0, 20},
    {"haemolysis.exposure_volume", "mL", 1e-3, 10},
    {"placement.blocked_time_constant", "s", 0.1, 1000},
    {"placement.open_time_constant", "s", 0.01, 10},
    {"current_sensor.noise_amplitude", "mA", 0, 1000},
    {"current_sensor.noise_interval", "s", 1e-4, 10},
    {"current_sensor.drift_rate", "mA/min", -1000, 1000},
    {"current_sensor.seed", "1", 0, 4503599627370496.0},
};

// Giersiepen et al. 1990 power law: dHb/Hb [%] = C * t^alpha * tau^beta (t in s, tau in Pa).
constexpr double kGiersiepenC = 3.62e-5;
constexpr double kGiersiepenAlpha = 0.785;
constexpr double kGiersiepenBeta = 2.416;

// Smoothing widths (numerical, not physical): they keep the right-hand side smooth where a law
// has a corner (the explicit integrator needs a smooth right-hand side).
constexpr double kFlowFloor_mL_s = 0.5;         // |Q| in the blood-damage law
constexpr double kSpeedFloor_krpm = 0.1;        // |w| in the shear law
constexpr double kPurgeLimitWidth_mmHg = 25.0;  // cassette pressure limit
constexpr double kSecondsPerHour = 3600.0;

enum StateIndex : std::size_t {
  kFlow,
  kSpeed,
  kSpeedIntegral,
  kPurgePressure,
  kPlacementLumen,
  kStateCount
};
constexpr std::string_view kStateNames[kStateCount] = {
    "pump_flow_mL_s", "motor_speed_krpm", "speed_control_integral_mN_m", "purge_pressure_mmHg",
    "placement_lumen_mmHg"};

enum SettingIndex : std::size_t {
  kSetSpeed,
  kSetPosition,
  kSetPurgeFlow,
  kSetDextrose,
  kSetPurgeOcclusion,
  kSetMotorFailure,
  // Faults (physical or of a sensor); no console commands them.
  kSetPurgeSupply,
  kSetPlacementBlocked,
  kSetCurrentNoise,
  kSetCurrentFaultStart,
  kSettingCount
};
// Derived slots (after the settings): the purge line's conductance (1/resistance) for the current
// dextrose and occlusion settings, and the flow the cassette pushes below its pressure limit (set
// flow times supply) (derive_settings), so the right-hand side needs neither an exponential nor a
// division nor a product for them.
constexpr std::size_t kDerivedPurgeConductance = physio::max_device_settings - 1;
constexpr std::size_t kDerivedPurgeInflow = physio::max_device_settings - 2;
static_assert(kSettingCount <= kDerivedPurgeInflow);

enum ReadingIndex : std::size_t {
  kReadPlacementSignal,
  kReadMotorCurrent,
  kReadMotorSpeed,
  kReadPurgePressure,
  kReadPurgeFlow,
  kReadPumpFlow,
  kReadHaemolysis,
  kReadPressureHead,
  kReadInletObstruction,
  kReadingCount
};
constexpr ReadingSpec kReadingSpecs[kReadingCount] = {
    {"placement_signal_mmHg", "mmHg", Signal::placement_signal_mmHg,
     "pressure at the pump's outlet area (aortic when placed correctly, ventricular when too deep)",
     BeatSummary::none, "", 1, "", ""},
    {"motor_current_mA", "mA", Signal::motor_current_mA, "motor current", BeatSummary::mean,
     "motor_current_mA", 1, "motor current", "mA"},
    {"motor_speed_rpm", "rpm", Signal::motor_speed_rpm, "rotor speed", BeatSummary::mean,
     "pump_speed_rpm", 1, "pump speed", "rpm"},
    {"purge_pressure_mmHg", "mmHg", Signal::purge_pressure_mmHg, "pressure in the purge line",
     BeatSummary::mean, "purge_pressure_mmHg", 1, "purge pressure", "mmHg"},
    {"purge_flow_mL_h", "mL/h", Signal::purge_flow_mL_h, "purge fluid flow into the pump",
     BeatSummary::none, "", 1, "", ""},
    {"pump_flow_mL_s", "mL/s", Signal::none,
     "true flow through the pump, inlet to outlet (negative: backflow); the real pump has no flow "
     "sensor",
     BeatSummary::mean, "pump_flow_L_min", units::mL_per_s_to_L_per_min,
     "pump flow (net, through the cannula)", "L/min"},
    // Rate of blood damage; its run integral is the haemolysis index (mL of blood whose
    // haemoglobin has been released since the start of the run).
    {"haemolysis_rate_mL_h", "mL/h", Signal::none,
     "rate of blood damage (mL of whole blood per hour whose haemoglobin is released)",
     BeatSummary::cumulative, "haemolysis_index", 1.0 / kSecondsPerHour,
     "haemolysis index (blood fully lysed since the start of the run)", "mL"},
    {"pump_pressure_head_mmHg", "mmHg", Signal::none,
     "pressure the pump generates, inlet to outlet", BeatSummary::none, "", 1, "", ""},
    {"inlet_obstruction", "1", Signal::none, "inlet obstruction by the emptied ventricle, 0 to 1",
     BeatSummary::none, "", 1, "", ""},
};
static_assert(kReadingCount <= physio::max_device_readings);
static_assert(kSettingCount <= physio::max_device_settings);

enum class Position { correct = 0, ventricle = 1, aorta = 2 };

struct Member {
  std::string_view kind;
  std::string_view display_name;
};
constexpr Member kMembers[] = {
    {"impella-2.5", "Impella 2.5"}, {"impella-cp", "Impella CP"}, {"impella-5.5", "Impella 5.5"}};

class MicroAxialPump final : public physio::DeviceBlock {
 public:
  explicit MicroAxialPump(const DeviceParameters& p);

  std::string_view kind() const override { return member_.kind; }
  std::size_t state_size() const override { return kStateCount; }
  std::string_view state_name(std::size_t i) const override { return kStateNames[i]; }
  void initial_state(std::span<double> x, const DeviceSettings& s) const override;
  std::span<const SettingSpec> setting_specs() const override { return setting_specs_; }
  DeviceSettings default_settings() const override;
  std::optional<double> parse_setting(std::string_view name, std::string_view text,
                                      std::string& error) const override;
  std::span<const ReadingSpec> reading_specs() const override { return kReadingSpecs; }
  void evaluate(const DeviceContext& c, std::span<const double> x, std::span<double> dxdt,
                const DeviceSettings& s, SiteFlows& flows, DeviceReadings* out) const override;

 private:
  double friction_torque(double w_krpm) const { return curves_.friction_torque_mN_m(w_krpm); }
  double purge_resistance(const DeviceSettings& s) const;
  void derive_settings(DeviceSettings& s) const override {
    s.value[kDerivedPurgeConductance] = 1.0 / purge_resistance(s);
    s.value[kDerivedPurgeInflow] =
        s.value[kSetPurgeFlow] * std::clamp(s.value[kSetPurgeSupply], 0.0, 1.0);
  }
  // The motor current sensor's error at time t (noise and drift; 0 without the fault).
  double current_sensor_error(double t_s, const DeviceSettings& s) const;
  double cassette_flow(double purge_pressure, double set_flow) const {
    const double x = (purge_pressure - purge_max_pressure_) / kPurgeLimitWidth_mmHg;
    // Far below the cassette's limit the flow is the set flow (to 1e-15).
    return x < -35.0 ? set_flow : set_flow / (1.0 + std::exp(x));
  }
  // The sensors read the outlet area's pressure only (the placement signal, the purge flow).
  std::uint32_t sensed_sites(const DeviceSettings& s) const override {
    return 1u << static_cast<std::size_t>(outlet_site(position(s)));
  }
  static Site inlet_site(Position pos) {
    return pos == Position::aorta ? Site::aortic_root : Site::left_ventricle;
  }
  static Site outlet_site(Position pos) {
    return pos == Position::correct ? Site::aortic_root : inlet_site(pos);
  }
  static Position position(const DeviceSettings& s) {
    // Nearest of 0, 1, 2 (a cast, not std::round: this runs in every right-hand side).
    const double v = std::clamp(s.value[kSetPosition], 0.0, 2.0);
    return static_cast<Position>(static_cast<int>(v + 0.5));
  }
  static bool motor_on(const DeviceSettings& s) {
    return s.value[kSetSpeed] > 0.0 && s.value[kSetMotorFailure] < 0.5;
  }
  // The speed controller at rotor speed w (krpm) and integral z: its speed error, its demand u
  // and the torque the motor gives (the demand through the torque limiter; 0 when off).
  struct MotorDrive {
    double error, u, torque;
  };
  MotorDrive motor_drive(const DeviceSettings& s, double w, double z) const {
    const bool on = motor_on(s);
    const double w_set = on ? s.value[kSetSpeed] / 1000.0 : 0.0;
    const double error = w_set - w;
    const double u = kp_ * error + z;
    const double u_rel = u * per_max_torque_;
    const double u_rel2 = u_rel * u_rel;
    const double v = u_rel2 * u_rel2 * u_rel2 * u_rel2;
    return {error, u, on ? u * torque_limiter(v) : 0.0};
  }
  // (1 + v)^(-1/8), v = (u/T_max)^8: the torque limiter's factor. Far below the limit it is 1 to
  // within 1e-9. Up to v = 1e-3 (u below 0.42 T_max, every steady level) its binomial series to
  // v^4 has a truncation error under |binom(-1/8, 5)| v^5 = 3.3e-17, below half an ulp of 1: the
  // same number to rounding, without the three dependent square roots and the division that made
  // this the pump's costliest line (about 40% of its right-hand side's time by perf samples).
  static double torque_limiter(double v) {
    if (v < 1e-8) return 1.0;
    if (v <= 1e-3) {
      constexpr double c1 = -1.0 / 8.0, c2 = c1 * (-9.0 / 8.0) / 2.0, c3 = c2 * (-17.0 / 8.0) / 3.0,
                       c4 = c3 * (-25.0 / 8.0) / 4.0;
      return 1.0 + v * (c1 + v * (c2 + v * (c3 + v * c4)));
    }
    return 1.0 / std::sqrt(std::sqrt(std::sqrt(1.0 + v)));
  }
  // The readings of the sensors (ReadingSpec::signal) and the true flow, from the outlet area's
  // pressure, the motor torque and the purge flow into the pump.
  void read_sensors(const DeviceContext& c, std::span<const double> x, const DeviceSettings& s,
                    double p_outlet, double motor_torque, double purge_flow,
                    std::array<double, physio::max_device_readings>& r) const {
    // The sensors' faults (header): readings only.
    r[kReadPlacementSignal] = s.value[kSetPlacementBlocked] < 0.5 ? p_outlet : x[kPlacementLumen];
    r[kReadMotorCurrent] =
        (motor_on(s) ? curves_.no_load_current + 1000.0 * motor_torque / curves_.torque_constant
                     : 0.0) +
        current_sensor_error(c.t_s, s);
    r[kReadMotorSpeed] = 1000.0 * x[kSpeed];
    r[kReadPurgePressure] = x[kPurgePressure];
    r[kReadPurgeFlow] = purge_flow;
    r[kReadPumpFlow] = x[kFlow];
  }
  std::string levels_text() const;

  Member member_{};
  std::array<double, 10> levels_rpm_{};  // P-0 .. P-9
  double boost_rpm_ = 0;
  int highest_level_ = 8;

  // Head, torques and current (core/pump_characteristic.hpp, shared with the console).
  PumpCurves curves_{};
  // Reciprocals and products the right-hand side uses (divisions are its costliest operations).
  double per_inertance_ = 0, per_max_torque_ = 0, per_suction_width_ = 0,
         acceleration_per_torque_ = 0, anti_windup_gain_ = 0, per_purge_capacity_ = 0;
  double max_torque_ = 0;
  double kp_ = 0, ki_ = 0;
  double suction_margin_ = 0, suction_width_ = 0, suction_resistance_ = 0, suction_inertance_ = 0,
         suction_open_min_ = 0;
  double purge_resistance_ = 0, purge_reference_dextrose_ = 0, purge_viscosity_coefficient_ = 0,
         purge_open_min_ = 0, purge_compliance_ = 0, purge_max_pressure_ = 0,
         purge_default_flow_ = 0, purge_default_dextrose_ = 0;
  double shear_speed_exponent_ = 0, shear_suction_ = 0;
  double per_placement_lag_ = 0;   // 1 / tau_b
  double per_placement_open_ = 0;  // 1 / tau_o
  double current_noise_amplitude_ = 0, per_current_noise_interval_ = 0, current_drift_per_s_ = 0;
  std::uint64_t current_noise_seed_ = 0;
  // ln(C/100) + alpha*ln(V_exp) + beta*(ln(tau_ref) - n*ln(w_ref)): the constant part of the
  // logarithm of the haemolysis rate.
  double log_damage_constant_ = 0;

  std::string speed_help_;
  std::array<SettingSpec, kSettingCount> setting_specs_{};
};

MicroAxialPump::MicroAxialPump(const DeviceParameters& p) : DeviceBlock(parameters_fingerprint(p)) {
  const auto at = [&](std::string_view key) { return p.find(key)->second; };
  member_ = kMembers[static_cast<std::size_t>(std::lround(at("family.member"))) - 1];
  constexpr std::string_view level_keys[] = {"levels.p1", "levels.p2", "levels.p3",
                                             "levels.p4", "levels.p5", "levels.p6",
                                             "levels.p7", "levels.p8", "levels.p9"};
  levels_rpm_[0] = 0.0;
  for (std::size_t i = 0; i < 9; ++i) levels_rpm_[i + 1] = at(level_keys[i]);
  boost_rpm_ = at("levels.boost");
  highest_level_ = static_cast<int>(std::lround(at("levels.highest")));

  curves_ = pump_curves(at);
  max_torque_ = at("motor.max_torque");
  kp_ = at("speed_control.proportional_gain");
  ki_ = at("speed_control.integral_gain");
  suction_margin_ = at("suction.onset_margin");
  suction_width_ = at("suction.width");
  suction_resistance_ = at("suction.obstruction_resistance");
  suction_inertance_ = at("suction.obstruction_inertance");
  suction_open_min_ = at("suction.minimum_open_fraction");
  purge_resistance_ = at("purge.resistance");
  purge_reference_dextrose_ = at("purge.reference_dextrose");
  purge_viscosity_coefficient_ = at("purge.viscosity_coefficient");
  purge_open_min_ = at("purge.residual_open_fraction");
  purge_compliance_ = at("purge.compliance");
  purge_max_pressure_ = at("purge.max_pressure");
  purge_default_flow_ = at("purge.default_flow");
  purge_default_dextrose_ = at("purge.default_dextrose");
  shear_speed_exponent_ = at("haemolysis.speed_exponent");
  shear_suction_ = at("haemolysis.suction_shear_factor");
  per_placement_lag_ = 1.0 / at("placement.blocked_time_constant");
  per_placement_open_ = 1.0 / at("placement.open_time_constant");
  current_noise_amplitude_ = at("current_sensor.noise_amplitude");
  per_current_noise_interval_ = 1.0 / at("current_sensor.noise_interval");
  current_drift_per_s_ = at("current_sensor.drift_rate") / 60.0;
  current_noise_seed_ = static_cast<std::uint64_t>(at("current_sensor.seed"));
  per_inertance_ = 1.0 / curves_.inertance;
  per_max_torque_ = 1.0 / max_torque_;
  per_suction_width_ = 1.0 / suction_width_;
  acceleration_per_torque_ = PumpCurves::acceleration_per_torque / curves_.rotor_inertia;
  anti_windup_gain_ = ki_ / kp_;
  per_purge_capacity_ = 1.0 / (kSecondsPerHour * purge_compliance_);
  log_damage_constant_ =
      std::log(kGiersiepenC / 100.0) +
      kGiersiepenAlpha * std::log(at("haemolysis.exposure_volume")) +
      kGiersiepenBeta * (std::log(at("haemolysis.reference_shear_stress")) -
                         shear_speed_exponent_ * std::log(at("haemolysis.reference_speed")));

  speed_help_ = "set rotor speed: a number in rpm (0-" + format_number(boost_rpm_) +
                ") or a performance level " + levels_text();
  const double max_speed =
      std::max(boost_rpm_, levels_rpm_[static_cast<std::size_t>(highest_level_)]);
  setting_specs_[kSetSpeed] = {"speed_rpm", "rpm",       0.0,
                               max_speed,   speed_help_, CommandKind::speed_rpm};
  setting_specs_[kSetPosition] = {
      "position", "1", 0, 2,
      "pump position: correct (0: inlet in the LV, outlet in the aortic root), ventricle (1: "
      "too deep, whole pump in the LV), aorta (2: too shallow, whole pump in the aorta)"};
  setting_specs_[kSetPurgeFlow] = {
      "purge_flow_mL_h",           "mL/h", 0, 50, "purge flow set on the cassette (mL/h)",
      CommandKind::purge_flow_mL_h};
  setting_specs_[kSetDextrose] = {
      "dextrose_pct",           "%", 5, 40, "dextrose in the purge fluid, 5-40 % (also D5..D40)",
      CommandKind::dextrose_pct};
  setting_specs_[kSetPurgeOcclusion] = {"purge_occlusion", "1", 0, 1,
                                        "occlusion of the purge line, 0 (open) to 1 (blocked)"};
  setting_specs_[kSetMotorFailure] = {"motor_failure", "1", 0, 1,
                                      "1: the motor fails (no drive torque, no current)"};
  setting_specs_[kSetPurgeSupply] = {
      "purge_supply", "1", 0, 1,
      "fraction of the set purge flow the cassette can push: 1 (default), 0 the purge bag is "
      "empty"};
  setting_specs_[kSetPlacementBlocked] = {
      "placement_sensor_blocked", "1", 0, 1,
      "1: the placement signal's lumen is blocked (the sensor shows a damped, flat pressure)"};
  setting_specs_[kSetCurrentNoise] = {
      "current_sensor_noise", "1", 0, 1,
      "1: the motor current sensor is faulty (noise and a drift on its reading, not on the motor)"};
  setting_specs_[kSetCurrentFaultStart] = {
      "current_sensor_fault_start_s", "s", 0, 1e7,
      "when the current sensor's fault began (its drift counts from here; default 0)"};
}

std::string MicroAxialPump::levels_text() const {
  std::string text;
  for (int i = 0; i <= highest_level_; ++i) {
    text += 'P';
    text += std::to_string(i);
    text += ", ";
  }
  return text + "BOOST";
}

double MicroAxialPump::purge_resistance(const DeviceSettings& s) const {
  // Dextrose makes the purge fluid more viscous (critical-care-medicine.com/impella-rp); occlusion
  // narrows the line.
  const double viscosity =
      std::exp(purge_viscosity_coefficient_ * (s.value[kSetDextrose] - purge_reference_dextrose_));
  const double open = 1.0 - std::clamp(s.value[kSetPurgeOcclusion], 0.0, 1.0) + purge_open_min_;
  return purge_resistance_ * viscosity / open;
}

DeviceSettings MicroAxialPump::default_settings() const {
  DeviceSettings s;
  s.value[kSetSpeed] = levels_rpm_[8];
  s.value[kSetPosition] = static_cast<double>(Position::correct);
  s.value[kSetPurgeFlow] = purge_default_flow_;
  s.value[kSetDextrose] = purge_default_dextrose_;
  s.value[kSetPurgeOcclusion] = 0.0;
  s.value[kSetMotorFailure] = 0.0;
  s.value[kSetPurgeSupply] = 1.0;
  s.value[kSetPlacementBlocked] = 0.0;
  s.value[kSetCurrentNoise] = 0.0;
  s.value[kSetCurrentFaultStart] = 0.0;
  return s;
}

void MicroAxialPump::initial_state(std::span<double> x, const DeviceSettings& s) const {
  // The rotor at its set speed, no flow yet (it settles within a few ms), the controller's
  // integral holding friction, the purge at its steady pressure against a zero back-pressure
  // (it settles to the blood pressure at the outlet within tens of seconds).
  const double w_set = motor_on(s) ? s.value[kSetSpeed] / 1000.0 : 0.0;
  x[kFlow] = 0.0;
  x[kSpeed] = w_set;
  x[kSpeedIntegral] = friction_torque(w_set);
  const double r = purge_resistance(s);
  const double set_flow = s.value[kSetPurgeFlow] * std::clamp(s.value[kSetPurgeSupply], 0.0, 1.0);
  double lo = 0.0, hi = std::max(r * set_flow, 1.0);
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (cassette_flow(mid, set_flow) > mid / r ? lo : hi) = mid;
  }
  x[kPurgePressure] = 0.5 * (lo + hi);
  // The lumen's pressure starts at 0 (the device knows no pressure here) and follows the outlet
  // pressure within a few open time constants.
  x[kPlacementLumen] = 0.0;
}

double MicroAxialPump::current_sensor_error(double t_s, const DeviceSettings& s) const {
  if (s.value[kSetCurrentNoise] < 0.5) return 0.0;
  // SplitMix64 (Steele, Lea and Flood, OOPSLA 2014) of the sample's index and the seed.
  const auto k = static_cast<std::uint64_t>(std::llround(t_s * per_current_noise_interval_));
  std::uint64_t z = current_noise_seed_ + (k + 1) * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  const double u = static_cast<double>(z >> 11) * 0x1.0p-53;  // [0, 1)
  const double since = std::max(t_s - s.value[kSetCurrentFaultStart], 0.0);
  return current_noise_amplitude_ * (2.0 * u - 1.0) + current_drift_per_s_ * since;
}

std::optional<double> MicroAxialPump::parse_setting(std::string_view name, std::string_view text,
                                                    std::string& error) const {
  const std::string word = lower_trimmed(text);
  const auto number = parse_number(word);
  const auto spec_of = [&]() -> const SettingSpec* {
    for (const auto& spec : setting_specs_) {
      if (spec.name == name) return &spec;
    }
    return nullptr;
  };
  const SettingSpec* spec = spec_of();
  if (!spec) {
    error = std::string(member_.display_name) + ": unknown setting '" + std::string(name) +
            "' (expected speed_rpm, position, purge_flow_mL_h, dextrose_pct, purge_occlusion, "
            "motor_failure, purge_supply, placement_sensor_blocked, current_sensor_noise or "
            "current_sensor_fault_start_s)";
    return std::nullopt;
  }
  const auto in_range = [&](double v) -> std::optional<double> {
    if (v >= spec->min && v <= spec->max) return v;
    error = std::string(member_.display_name) + ": " + std::string(name) + " '" +
            std::string(text) + "' is out of range (expected " + format_number(spec->min) + "-" +
            format_number(spec->max) + " " + std::string(spec->unit) + ")";
    return std::nullopt;
  };

  if (name == "speed_rpm") {
    if (number) return in_range(*number);
    if (word == "boost") return boost_rpm_;
    std::string level = word;
    if (level.size() >= 2 && level[0] == 'p') {
      level.erase(0, level[1] == '-' ? 2 : 1);  // "P8" or "P-8"
      if (const auto n = parse_number(level);
          n && *n == std::floor(*n) && *n >= 0 && *n <= highest_level_) {
        return levels_rpm_[static_cast<std::size_t>(*n)];
      }
    }
    error = std::string(member_.display_name) + ": unknown speed '" + std::string(text) +
            "' (expected a number in rpm, 0-" + format_number(spec->max) +
            ", or one of this pump's performance levels: " + levels_text() + ")";
    return std::nullopt;
  }
  if (name == "position") {
    if (word == "correct") return 0.0;
    if (word == "ventricle") return 1.0;
    if (word == "aorta") return 2.0;
    if (number && (*number == 0.0 || *number == 1.0 || *number == 2.0)) return *number;
    error = std::string(member_.display_name) + ": unknown position '" + std::string(text) +
            "' (expected correct, ventricle, aorta, or 0, 1, 2)";
    return std::nullopt;
  }
  if (name == "dextrose_pct" && !number && word.size() > 1 && word[0] == 'd') {
    if (const auto n = parse_number(std::string_view(word).substr(1))) return in_range(*n);
  }
  if ((name == "motor_failure" || name == "placement_sensor_blocked" ||
       name == "current_sensor_noise") &&
      number && *number != 0.0 && *number != 1.0) {
    error = std::string(member_.display_name) + ": " + std::string(name) + " '" +
            std::string(text) + "' (expected 0 or 1)";
    return std::nullopt;
  }
  if (number) return in_range(*number);
  error = std::string(member_.display_name) + ": " + std::string(name) + " '" + std::string(text) +
          "' is not a number (expected " + std::string(spec->help) + ")";
  return std::nullopt;
}

void MicroAxialPump::evaluate(const DeviceContext& c, std::span<const double> x,
                              std::span<double> dxdt, const DeviceSettings& s, SiteFlows& flows,
                              DeviceReadings* out) const {
  if (out && out->sensors_only) {
    // A console's tick: the sensors only, by the same expressions as below (no flows, no
    // derivatives: the caller wants none).
    const double p_outlet = c.pressure_mmHg[static_cast<std::size_t>(outlet_site(position(s)))];
    const double purge_flow = (x[kPurgePressure] - p_outlet) * s.value[kDerivedPurgeConductance];
    read_sensors(c, x, s, p_outlet, motor_drive(s, x[kSpeed], x[kSpeedIntegral]).torque, purge_flow,
                 out->value);
    return;
  }
  const double q = x[kFlow];
  const double w = x[kSpeed];
  const double z = x[kSpeedIntegral];
  const double purge_pressure = x[kPurgePressure];
  const double lumen_pressure = x[kPlacementLumen];

  // Where the inlet, the outlet and the open pressure area (placement signal) lie.
  const Position pos = position(s);
  const Site inlet = inlet_site(pos);
  const Site outlet = outlet_site(pos);
  const double p_inlet = c.pressure_mmHg[static_cast<std::size_t>(inlet)];
  const double p_outlet = c.pressure_mmHg[static_cast<std::size_t>(outlet)];

  // Inlet obstruction: the emptied ventricle closes around the inlet (suction). With E = exp(a),
  // the obstruction s = 1/(1 + E), the narrowing s/(1 - s + m) = 1/D with D = E + m (1 + E), and
  // the inertance L + Ls/D has the reciprocal D/(L D + Ls): both from one division.
  double obstruction = 0.0, narrowing = 0.0, per_inertance = per_inertance_;
  if (inlet == Site::left_ventricle) {
    const double margin = c.left_ventricle_mL - c.left_ventricle_unstressed_mL;
    const double a = (margin - suction_margin_) * per_suction_width_;
    // A full ventricle: no obstruction (it would be below 2e-9, and the flow it takes below
    // 1e-6 mL/s).
    if (a <= 20.0) {
      const double e = std::exp(a);
      const double d = e + suction_open_min_ * (1.0 + e);
      const double ld = curves_.inertance * d + suction_inertance_;
      const double inverse = 1.0 / (d * ld);
      narrowing = ld * inverse;
      per_inertance = d * d * inverse;
      if (out) obstruction = 1.0 / (1.0 + e);
    }
  }

  // Hydraulics.
  const double head = curves_.head_mmHg(w, q) - suction_resistance_ * narrowing * q;
  dxdt[kFlow] = (head - (p_outlet - p_inlet)) * per_inertance;

  // Motor and speed controller.
  const MotorDrive drive = motor_drive(s, w, z);
  const double motor_torque = drive.torque;
  const double hydraulic_torque = curves_.hydraulic_torque_mN_m(w, q);
  dxdt[kSpeed] = acceleration_per_torque_ * (motor_torque - hydraulic_torque - friction_torque(w));
  dxdt[kSpeedIntegral] = ki_ * drive.error + anti_windup_gain_ * (motor_torque - drive.u);

  // Purge.
  const double purge_flow =
      (purge_pressure - p_outlet) * s.value[kDerivedPurgeConductance];  // mL/h into the pump
  dxdt[kPurgePressure] =
      (cassette_flow(purge_pressure, s.value[kDerivedPurgeInflow]) - purge_flow) *
      per_purge_capacity_;
  dxdt[kPlacementLumen] =
      (p_outlet - lumen_pressure) *
      (s.value[kSetPlacementBlocked] < 0.5 ? per_placement_open_ : per_placement_lag_);

  flows.move(inlet, outlet, q);

  if (out) {
    auto& r = out->value;
    read_sensors(c, x, s, p_outlet, motor_torque, purge_flow, r);
    // Blood damage, Giersiepen per pass, in logarithms (one exponential instead of three powers):
    // ln(dHI/dt) = ln(|Q| * C * (V_exp/|Q|)^alpha * tau^beta / 100), tau as in the header. Only
    // the recorders need it (they integrate it over the run), so it is computed for readings only.
    const double log_flow = 0.5 * std::log(q * q + kFlowFloor_mL_s * kFlowFloor_mL_s);
    const double log_speed = 0.5 * std::log(w * w + kSpeedFloor_krpm * kSpeedFloor_krpm);
    r[kReadHaemolysis] =
        kSecondsPerHour * std::exp(log_damage_constant_ + (1.0 - kGiersiepenAlpha) * log_flow +
                                   kGiersiepenBeta * (shear_speed_exponent_ * log_speed +
                                                      std::log1p(shear_suction_ * obstruction)));
    r[kReadPressureHead] = head;
    r[kReadInletObstruction] = obstruction;
  }
}

}  // namespace

std::span<const DeviceParameterSpec> micro_axial_pump_parameter_specs() { return kParameterSpecs; }

std::unique_ptr<physio::DeviceBlock> make_micro_axial_pump(const DeviceParameters& p) {
  require_parameters(kParameterSpecs, p, "micro-axial pump");
  return std::make_unique<MicroAxialPump>(p);
}

}  // namespace unload::devices
