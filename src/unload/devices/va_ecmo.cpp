// Veno-arterial ECMO (comparator): drainage from the right atrium through a venous cannula, a
// centrifugal pump, a membrane oxygenator and an arterial cannula that returns blood retrograde
// into the descending aorta (standard description; JSCAI 2022;1(6):100449 Table 3, PMC11307613).
// The circuit holds no volume state: blood leaves the right atrium and enters the descending aorta
// at the same rate, so the patient's blood volume is conserved.
//
// States: Q, circuit flow (mL/s); w, pump speed (rpm).
//
//   Pump (centrifugal, w in krpm):   dP_pump = a * w^2 - b * Q * |Q|
//   Venous collapse (smooth drainage limit as the right atrium empties):
//     R_drain,eff = R_drain * (1 + (F - 1) * sigmoid((P_collapse - P_ra) / width))
//   Circuit (one lumped inertance L):
//     L * dQ/dt = P_ra - P_dao + dP_pump - (R_drain,eff + R_oxygenator + R_return) * Q
//   Speed, speed mode (target flow 0):   dw/dt = (w_set - w) / tau_speed
//          flow mode (target flow > 0):  dw/dt = G * (Q_target - Q) + (clamp(w, w_min, w_max) - w)
//                                                / tau_speed
//     a slow integral controller in L/min (the console adjusting speed to reach the target), the
//     second term pulling the speed back inside the pump's range. The pump turns at
//     clamp(w, 0, w_max).
//   Flows: Q from the right atrium into the descending aorta (negative Q is retrograde flow
//   through a pump too slow for the pressure gradient).
//
// Readings (as a console shows them, all sensors): flow, speed, drainage pressure (before the
// pump), pre-oxygenator pressure (after the pump), return pressure (after the oxygenator) and the
// oxygenator pressure drop. Drainage pressure is computed from the right atrium, the others from
// the descending aorta, so the inertial pressure L dQ/dt shows up in the pump's apparent rise only.
// Parameters: data/devices/va-ecmo.toml.
#include "unload/devices/va_ecmo.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

#include "unload/core/error.hpp"
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

constexpr double kMlPerSToLPerMin = 0.06;

constexpr DeviceParameterSpec kParameterSpecs[] = {
    {"pump.pressure_coefficient", "mmHg/krpm2", 1.0, 100.0},
    {"pump.flow_coefficient", "mmHg*s2/mL2", 0.0, 0.1},
    {"pump.min_speed", "rpm", 0.0, 3000.0},
    {"pump.max_speed", "rpm", 1000.0, 10000.0},
    {"pump.speed_time_constant", "s", 0.01, 10.0},
    {"circuit.drainage_cannula_resistance", "mmHg*s/mL", 0.0, 10.0},
    {"circuit.oxygenator_resistance", "mmHg*s/mL", 0.0, 10.0},
    {"circuit.return_cannula_resistance", "mmHg*s/mL", 0.0, 10.0},
    {"circuit.inertance", "mmHg*s2/mL", 0.01, 5.0},
    {"drainage.collapse_pressure", "mmHg", -30.0, 10.0},
    {"drainage.collapse_width", "mmHg", 0.05, 10.0},
    {"drainage.collapse_resistance_factor", "1", 1.0, 1000.0},
    {"console.flow_control_gain", "(rpm/s)/(L/min)", 1.0, 10000.0},
    {"defaults.speed", "rpm", 0.0, 10000.0},
    {"defaults.target_flow", "L/min", 0.0, 10.0},
};

enum SettingSlot : std::size_t { kSpeed, kTargetFlow };
constexpr std::size_t kSettingCount = 2;
constexpr double kMaxTargetFlow_L_min = 10.0;

enum StateSlot : std::size_t { kFlowState, kSpeedState };

enum ReadingSlot : std::size_t {
  kFlow,
  kSpeedReading,
  kDrainagePressure,
  kPreOxygenatorPressure,
  kReturnPressure,
  kOxygenatorDrop,
};
constexpr ReadingSpec kReadingSpecs[] = {
    {"ecmo_flow_mL_s", "mL/s", Signal::circuit_flow_mL_s, "circuit flow (flow probe)",
     BeatSummary::mean, "ecmo_flow_L_min", kMlPerSToLPerMin, "ECMO flow", "L/min"},
    {"pump_speed_rpm", "rpm", Signal::ecmo_pump_speed_rpm, "centrifugal pump speed",
     BeatSummary::mean, "ecmo_speed_rpm", 1.0, "ECMO pump speed", "rpm"},
    {"drainage_pressure_mmHg", "mmHg", Signal::drainage_pressure_mmHg,
     "pressure in the drainage line before the pump", BeatSummary::mean,
     "ecmo_drainage_pressure_mmHg", 1.0, "ECMO drainage pressure", "mmHg"},
    {"pre_oxygenator_pressure_mmHg", "mmHg", Signal::pre_oxygenator_pressure_mmHg,
     "pressure after the pump, before the oxygenator", BeatSummary::none, "", 1.0, "", ""},
    {"return_pressure_mmHg", "mmHg", Signal::return_pressure_mmHg,
     "pressure in the return line after the oxygenator", BeatSummary::none, "", 1.0, "", ""},
    {"oxygenator_pressure_drop_mmHg", "mmHg", Signal::oxygenator_pressure_drop_mmHg,
     "pressure drop across the oxygenator", BeatSummary::mean, "ecmo_oxygenator_pressure_drop_mmHg",
     1.0, "ECMO oxygenator pressure drop", "mmHg"},
};

// Logistic function, with the argument bounded so exp() stays finite.
double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-std::clamp(z, -50.0, 50.0))); }

class VaEcmo final : public physio::DeviceBlock {
 public:
  explicit VaEcmo(const DeviceParameters& p)
      : DeviceBlock(parameters_fingerprint(p)),
        a_(p.at("pump.pressure_coefficient")),
        b_(p.at("pump.flow_coefficient")),
        min_speed_rpm_(p.at("pump.min_speed")),
        max_speed_rpm_(p.at("pump.max_speed")),
        tau_speed_s_(p.at("pump.speed_time_constant")),
        r_drain_(p.at("circuit.drainage_cannula_resistance")),
        r_oxygenator_(p.at("circuit.oxygenator_resistance")),
        r_return_(p.at("circuit.return_cannula_resistance")),
        inertance_(p.at("circuit.inertance")),
        collapse_pressure_mmHg_(p.at("drainage.collapse_pressure")),
        collapse_width_mmHg_(p.at("drainage.collapse_width")),
        collapse_factor_(p.at("drainage.collapse_resistance_factor")),
        gain_(p.at("console.flow_control_gain")) {
    defaults_.value[kSpeed] = p.at("defaults.speed");
    defaults_.value[kTargetFlow] = p.at("defaults.target_flow");
    settings_ = {{
        {"speed_rpm", "rpm", 0.0, max_speed_rpm_,
         "pump speed in speed mode; the starting speed in flow mode", CommandKind::speed_rpm},
        {"target_flow_L_min", "L/min", 0.0, kMaxTargetFlow_L_min,
         "0: speed mode; more than 0: flow mode, the console adjusts speed to reach this flow",
         CommandKind::target_flow_L_min},
    }};
  }

  std::string_view kind() const override { return "va-ecmo"; }

  std::size_t state_size() const override { return 2; }
  std::string_view state_name(std::size_t i) const override {
    return i == kFlowState ? "circuit_flow_mL_s" : "pump_speed_rpm";
  }
  void initial_state(std::span<double> x, const DeviceSettings& s) const override {
    x[kFlowState] = 0.0;
    x[kSpeedState] = s.value[kSpeed];
  }

  std::span<const SettingSpec> setting_specs() const override { return settings_; }
  DeviceSettings default_settings() const override { return defaults_; }

  std::optional<double> parse_setting(std::string_view name, std::string_view text,
                                      std::string& error) const override {
    for (const auto& spec : settings_) {
      if (spec.name == name) return parse_numeric_setting(spec, text, error);
    }
    error = "unknown VA-ECMO setting '" + std::string(name) +
            "' (expected speed_rpm or target_flow_L_min)";
    return std::nullopt;
  }

  std::span<const ReadingSpec> reading_specs() const override { return kReadingSpecs; }

  void evaluate(const DeviceContext& c, std::span<const double> x, std::span<double> dxdt,
                const DeviceSettings& s, SiteFlows& flows, DeviceReadings* out) const override {
    const double ra_mmHg = c.pressure_mmHg[static_cast<std::size_t>(Site::right_atrium)];
    const double dao_mmHg = c.pressure_mmHg[static_cast<std::size_t>(Site::descending_aorta)];
    const double q = x[kFlowState];
    const double w_state = x[kSpeedState];
    const double speed_rpm = std::clamp(w_state, 0.0, max_speed_rpm_);
    const double w_krpm = speed_rpm / 1000.0;

    const double pump_rise_mmHg = a_ * w_krpm * w_krpm - b_ * q * std::abs(q);
    const double r_drain_eff =
        r_drain_ * (1.0 + (collapse_factor_ - 1.0) *
                              sigmoid((collapse_pressure_mmHg_ - ra_mmHg) / collapse_width_mmHg_));
    dxdt[kFlowState] =
        (ra_mmHg - dao_mmHg + pump_rise_mmHg - (r_drain_eff + r_oxygenator_ + r_return_) * q) /
        inertance_;

    const double target_L_min = s.value[kTargetFlow];
    if (target_L_min > 0.0) {
      const double in_range = std::clamp(w_state, min_speed_rpm_, max_speed_rpm_);
      dxdt[kSpeedState] =
          gain_ * (target_L_min - q * kMlPerSToLPerMin) + (in_range - w_state) / tau_speed_s_;
    } else {
      dxdt[kSpeedState] = (s.value[kSpeed] - w_state) / tau_speed_s_;
    }

    flows.move(Site::right_atrium, Site::descending_aorta, q);

    if (out) {
      const double return_mmHg = dao_mmHg + r_return_ * q;
      out->value[kFlow] = q;
      out->value[kSpeedReading] = speed_rpm;
      out->value[kDrainagePressure] = ra_mmHg - r_drain_eff * q;
      out->value[kPreOxygenatorPressure] = return_mmHg + r_oxygenator_ * q;
      out->value[kReturnPressure] = return_mmHg;
      out->value[kOxygenatorDrop] = r_oxygenator_ * q;
    }
  }

 private:
  double a_, b_;
  double min_speed_rpm_, max_speed_rpm_, tau_speed_s_;
  double r_drain_, r_oxygenator_, r_return_, inertance_;
  double collapse_pressure_mmHg_, collapse_width_mmHg_, collapse_factor_;
  double gain_;
  DeviceSettings defaults_{};
  std::array<SettingSpec, kSettingCount> settings_{};
};

}  // namespace

std::span<const DeviceParameterSpec> va_ecmo_parameter_specs() { return kParameterSpecs; }

std::unique_ptr<physio::DeviceBlock> make_va_ecmo(const DeviceParameters& p) {
  require_parameters(kParameterSpecs, p, "VA-ECMO");
  if (p.at("pump.min_speed") >= p.at("pump.max_speed")) {
    throw InputError("VA-ECMO: pump.min_speed must be below pump.max_speed");
  }
  if (p.at("defaults.speed") > p.at("pump.max_speed")) {
    throw InputError("VA-ECMO: defaults.speed must not exceed pump.max_speed");
  }
  return std::make_unique<VaEcmo>(p);
}

}  // namespace unload::devices
