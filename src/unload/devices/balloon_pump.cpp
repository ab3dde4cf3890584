// Intra-aortic balloon pump (comparator): a helium balloon in the descending thoracic aorta that
// inflates at aortic-valve closure and deflates just before the next ejection
// (textbook description, alpfmedical.info and theguidewire.net copies). It moves no blood; it takes
// up volume inside the descending aorta, which the circulation adds to that compartment's volume
// when it computes its pressure.
//
// State: V_b, the balloon's gas volume (mL).
//
//   Command (0..1) for augmented beat n, with R_n its R wave and RR_n its period:
//     t_in,n  = R_n + notch_n + inflation_offset          (the trigger's estimate of the notch)
//     t_out,n = R_n + RR_n + deflation_offset             (the next R wave; > 0 lies in beat n+1)
//     c_n(t)  = S((t - t_in,n)/w + 1/2) * (1 - S((t - t_out,n)/w + 1/2)),  S(u) = 3u^2 - 2u^3 on
//               [0, 1]: each edge is a smoothstep of width w (timing.command_ramp) centred on its
//               time, so the right-hand side has no jumps for the adaptive Runge-Kutta integrator.
//     c(t)    = max(c_n(t), c_{n-1}(t)): a deflation later than the R wave carries into beat n.
//               For the carried window t_out,n-1 = R_n + deflation_offset is exact; its inflation
//               time is taken as R_n - RR_n + notch_n + inflation_offset (the current beat's period
//               and notch stand in for the previous beat's: they only matter if that beat
//               inflated within w/2 of its end).
//     Beat n is augmented when n mod ratio = 0 (1:1, 1:2, 1:3) and began with an R wave: in VF
//     and asystole (beats on a nominal clock, DeviceContext::r_wave false) neither trigger finds
//     one, so c_n = 0 and the balloon stays deflated until the heart beats again (a console's
//     internal trigger for CPR is not modelled).
//   Trigger (the notch estimate, time after the R wave):
//     ECG:      notch_n = k * sqrt(RR_n / 1 s), a Bazett-type square-root law for electromechanical
//               systole (R wave to aortic-valve closure), k = timing.ejection_end_coefficient.
//     pressure: notch_n = the previous beat's detected end of ejection (after its R wave); the ECG
//               estimate until one is known.
//   Helium shuttle (first-order lag, faster on deflation):
//     dV_b/dt = (c * V_set - V_b) / tau,  tau = tau_inflate if c * V_set > V_b, else tau_deflate
//
// Displaced volume: V_b in the descending aorta, nothing elsewhere.
// Readings: balloon volume, an inflated flag (V_b >= threshold * V_set) and the augmented
// pressure: aortic root pressure while inflated by the current beat's own window (c_n > 0), else 0,
// so its per-beat maximum is that beat's peak diastolic augmentation (a balloon carried into the
// next beat, or still emptying at its R wave, does not count as augmenting that beat).
// Limitation: the balloon only displaces volume; it does not obstruct the aorta. Late deflation
// therefore raises LV peak pressure and pressure-volume area (the LV opens its valve against the
// inflated balloon) but the deflating balloon also empties room during ejection, so stroke volume
// does not fall with it as clinical teaching says.
// Parameters: data/devices/iabp.toml.
#include "unload/devices/balloon_pump.hpp"

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

constexpr DeviceParameterSpec kParameterSpecs[] = {
    {"balloon.volume", "mL", 10.0, 60.0},
    {"balloon.inflation_time_constant", "s", 0.001, 0.2},
    {"balloon.deflation_time_constant", "s", 0.001, 0.2},
    {"timing.ejection_end_coefficient", "s", 0.2, 0.6},
    {"timing.command_ramp", "s", 0.001, 0.05},
    {"timing.augmentation_threshold", "1", 0.1, 1.0},
    {"defaults.ratio", "1", 1.0, 3.0},
    {"defaults.trigger", "1", 0.0, 1.0},
    {"defaults.inflation_offset", "s", -0.2, 0.2},
    {"defaults.deflation_offset", "s", -0.2, 0.2},
};

// Setting slots.
enum SettingSlot : std::size_t { kVolume, kRatio, kTrigger, kInflationOffset, kDeflationOffset };
constexpr std::size_t kSettingCount = 5;
constexpr double kTriggerEcg = 0.0;
constexpr double kTriggerPressure = 1.0;

// Reading slots.
enum ReadingSlot : std::size_t {
  kBalloonVolume,
  kInflated,
  kAugmentedPressure,
  kUnassistedSystole,
  kAssistedSystole,
  kAssistedEndDiastole,
  kUnassistedEndDiastole
};
constexpr ReadingSpec kReadingSpecs[] = {
    {"balloon_volume_mL", "mL", Signal::balloon_volume_mL, "gas volume in the balloon",
     BeatSummary::max, "iabp_balloon_volume_mL", 1.0, "balloon volume at full inflation", "mL"},
    {"balloon_inflated", "1", Signal::balloon_inflated,
     "1 while the balloon holds more than the augmentation threshold of its set volume, else 0",
     BeatSummary::none, "", 1.0, "", ""},
    {"augmented_pressure_mmHg", "mmHg", Signal::none,
     "aortic root pressure while the balloon is inflated in this beat's window, else 0",
     BeatSummary::max, "augmented_dia_mmHg", 1.0, "augmented diastolic pressure (peak)", "mmHg"},
    {"unassisted_systole_mmHg", "mmHg", Signal::none,
     "aortic root pressure before this beat's inflation when the diastole before it was not "
     "augmented, else 0",
     BeatSummary::max, "aop_sys_unassisted_mmHg", 1.0,
     "unassisted systolic pressure (after an unassisted diastole)", "mmHg"},
    {"assisted_systole_mmHg", "mmHg", Signal::none,
     "aortic root pressure before this beat's inflation when the diastole before it was "
     "augmented (the balloon deflated just before this systole), else 0",
     BeatSummary::max, "aop_sys_assisted_mmHg", 1.0,
     "assisted systolic pressure (after an augmented diastole)", "mmHg"},
    {"assisted_end_diastolic_mmHg", "mmHg", Signal::none,
     "aortic root pressure from the R wave until the aortic valve opens, in a beat whose previous "
     "diastole the balloon augmented, else 0: its lowest value is the pressure the assisted "
     "ejection starts from",
     BeatSummary::min, "baedp_mmHg", 1.0,
     "balloon-assisted end-diastolic pressure (BAEDP: lowest before the assisted ejection)",
     "mmHg"},
    {"unassisted_end_diastolic_mmHg", "mmHg", Signal::none,
     "as assisted_end_diastolic_mmHg, in a beat whose previous diastole was not augmented",
     BeatSummary::min, "aedp_unassisted_mmHg", 1.0,
     "unassisted aortic end-diastolic pressure (lowest before an unassisted ejection)", "mmHg"},
};

// Aortic valve flow above which the ventricle ejects, below which its valve is shut (mL/s), and the
// longest time after the R wave before ejection (isovolumic contraction lasts 30-80 ms): where the
// readings of systole and end-diastole are taken.
constexpr double kEjectingFlow_mL_s = 20.0;
constexpr double kClosedFlow_mL_s = 1.0;
constexpr double kPreEjectionLimit_s = 0.15;

double smoothstep(double u) {
  u = std::clamp(u, 0.0, 1.0);
  return u * u * (3.0 - 2.0 * u);
}

class BalloonPump final : public physio::DeviceBlock {
 public:
  explicit BalloonPump(const DeviceParameters& p)
      : DeviceBlock(parameters_fingerprint(p)),
        volume_mL_(p.at("balloon.volume")),
        tau_inflate_s_(p.at("balloon.inflation_time_constant")),
        tau_deflate_s_(p.at("balloon.deflation_time_constant")),
        ejection_end_coefficient_s_(p.at("timing.ejection_end_coefficient")),
        ramp_s_(p.at("timing.command_ramp")),
        threshold_(p.at("timing.augmentation_threshold")) {
    defaults_.value[kVolume] = volume_mL_;
    defaults_.value[kRatio] = p.at("defaults.ratio");
    defaults_.value[kTrigger] = p.at("defaults.trigger");
    defaults_.value[kInflationOffset] = p.at("defaults.inflation_offset");
    defaults_.value[kDeflationOffset] = p.at("defaults.deflation_offset");
    settings_ = {{
        {"volume_mL", "mL", 0.0, volume_mL_,
         "gas volume delivered per inflation, up to the balloon's size",
         CommandKind::balloon_volume_mL},
        {"ratio", "1", 1.0, 3.0,
         "augmentation ratio 1:1, 1:2 or 1:3 (every beat, every 2nd or every 3rd beat)",
         CommandKind::assist_ratio},
        {"trigger", "1", 0.0, 1.0,
         "ecg (0): inflation from the R wave and the predicted end of systole; pressure (1): "
         "from the previous beat's detected end of ejection",
         CommandKind::trigger},
        {"inflation_offset_s", "s", -0.2, 0.2,
         "inflation time relative to the trigger's dicrotic notch (negative: early)",
         CommandKind::inflation_offset_s},
        {"deflation_offset_s", "s", -0.2, 0.2,
         "deflation time relative to the next R wave (negative: early; positive: late, into "
         "the next ejection)",
         CommandKind::deflation_offset_s},
    }};
  }

  std::string_view kind() const override { return "iabp"; }

  std::size_t state_size() const override { return 1; }
  std::string_view state_name(std::size_t) const override { return "balloon_volume_mL"; }
  void initial_state(std::span<double> x, const DeviceSettings&) const override { x[0] = 0.0; }

  std::span<const SettingSpec> setting_specs() const override { return settings_; }
  DeviceSettings default_settings() const override { return defaults_; }

  std::optional<double> parse_setting(std::string_view name, std::string_view text,
                                      std::string& error) const override {
    const std::string_view t = trim(text);
    if (name == "ratio") {
      static constexpr std::string_view kRatios[] = {"1:1", "1:2", "1:3"};
      for (std::size_t i = 0; i < std::size(kRatios); ++i) {
        if (t == kRatios[i]) return static_cast<double>(i + 1);
      }
      if (const auto v = parse_number(t); v && (*v == 1.0 || *v == 2.0 || *v == 3.0)) return v;
      error = "ratio: expected 1:1, 1:2 or 1:3 (or 1, 2, 3), got '" + std::string(text) + "'";
      return std::nullopt;
    }
    if (name == "trigger") {
      const std::string word = lower_trimmed(t);
      if (word == "ecg") return kTriggerEcg;
      if (word == "pressure") return kTriggerPressure;
      if (const auto v = parse_number(t); v && (*v == kTriggerEcg || *v == kTriggerPressure)) {
        return v;
      }
      error = "trigger: expected ecg or pressure (or 0, 1), got '" + std::string(text) + "'";
      return std::nullopt;
    }
    for (const auto& spec : settings_) {
      if (spec.name == name) return parse_numeric_setting(spec, text, error);
    }
    error = "unknown balloon pump setting '" + std::string(name) +
            "' (expected volume_mL, ratio, trigger, inflation_offset_s or deflation_offset_s)";
    return std::nullopt;
  }

  std::span<const ReadingSpec> reading_specs() const override { return kReadingSpecs; }

  // 1:n augments one beat in n (command(): n = the ratio, rounded as there).
  int beats_per_cycle(const DeviceSettings& s) const override {
    return static_cast<int>(std::clamp(std::llround(s.value[kRatio]), 1LL, 3LL));
  }

  bool displaces_volume() const override { return true; }
  double displaced_volume_mL(std::span<const double> x, Site site) const override {
    return site == Site::descending_aorta ? std::max(x[0], 0.0) : 0.0;
  }

  void evaluate(const DeviceContext& c, std::span<const double> x, std::span<double> dxdt,
                const DeviceSettings& s, SiteFlows& /*flows: a balloon moves no blood*/,
                DeviceReadings* out) const override {
    const double balloon_mL = x[0];
    const double set_mL = s.value[kVolume];
    const Command cmd = command(c, s);
    const double target_mL = std::max(cmd.this_beat, cmd.carried) * set_mL;
    const double tau_s = target_mL > balloon_mL ? tau_inflate_s_ : tau_deflate_s_;
    dxdt[0] = (target_mL - balloon_mL) / tau_s;

    if (out) {
      const bool inflated = set_mL > 0.0 && balloon_mL >= threshold_ * set_mL;
      out->value[kBalloonVolume] = balloon_mL;
      out->value[kInflated] = inflated ? 1.0 : 0.0;
      const double p_root = c.pressure_mmHg[static_cast<std::size_t>(Site::aortic_root)];
      out->value[kAugmentedPressure] = inflated && cmd.this_beat > 0.0 ? p_root : 0.0;
      // Systole: the ventricle ejects, before this beat's inflation (the notch estimate).
      const double after_r_s = c.t_s - c.beat_start_s;
      const bool ejecting = c.aortic_valve_flow_mL_s > kEjectingFlow_mL_s &&
                            after_r_s < cmd.inflate_after_r_s - 0.5 * ramp_s_;
      out->value[kUnassistedSystole] = ejecting && !cmd.previous_augmented ? p_root : 0.0;
      out->value[kAssistedSystole] = ejecting && cmd.previous_augmented ? p_root : 0.0;
      // End-diastole as the ventricle meets it: from the R wave until the valve opens.
      const bool before_ejection =
          c.aortic_valve_flow_mL_s <= kClosedFlow_mL_s &&
          after_r_s < std::min(kPreEjectionLimit_s, 0.5 * cmd.inflate_after_r_s);
      out->value[kAssistedEndDiastole] = before_ejection && cmd.previous_augmented ? p_root : 0.0;
      out->value[kUnassistedEndDiastole] =
          before_ejection && !cmd.previous_augmented ? p_root : 0.0;
    }
  }

 private:
  // Inflate command 0..1 at time c.t_s (see the top of the file): the current beat's window c_n
  // and the previous beat's, carried past the R wave (c_n-1).
  struct Command {
    double this_beat = 0.0;
    double carried = 0.0;
    bool augmented = false;           // this beat's diastole is augmented
    bool previous_augmented = false;  // the previous beat's was
    double inflate_after_r_s = 0.0;   // when this beat's inflation is due, after its R wave
  };
  Command command(const DeviceContext& c, const DeviceSettings& s) const {
    const long long ratio = std::clamp(std::llround(s.value[kRatio]), 1LL, 3LL);
    const long long beat = std::llround(c.beat_index);
    const auto augmented = [ratio](long long n) { return n >= 0 && n % ratio == 0; };

    const double period_s = c.period_s;
    const double ecg_notch_s = ejection_end_coefficient_s_ * std::sqrt(period_s);
    const bool pressure_trigger = s.value[kTrigger] >= 0.5;
    const double notch_s = pressure_trigger && c.previous_ejection_end_s > 0.0
                               ? c.previous_ejection_end_s
                               : ecg_notch_s;
    const double inflate_after_r_s = notch_s + s.value[kInflationOffset];
    const double deflation_offset_s = s.value[kDeflationOffset];

    const auto window = [this, t = c.t_s](double inflate_s, double deflate_s) {
      return smoothstep((t - inflate_s) / ramp_s_ + 0.5) *
             (1.0 - smoothstep((t - deflate_s) / ramp_s_ + 0.5));
    };
    Command cmd;
    cmd.augmented = augmented(beat);
    cmd.previous_augmented = augmented(beat - 1);
    cmd.inflate_after_r_s = inflate_after_r_s;
    // No R wave (VF, asystole): no trigger, so no inflation; the balloon stays deflated until
    // beats come back (an inflation already running ends at its deflation as timed).
    if (augmented(beat) && c.r_wave) {
      cmd.this_beat = window(c.beat_start_s + inflate_after_r_s,
                             c.beat_start_s + period_s + deflation_offset_s);
    }
    if (augmented(beat - 1)) {
      cmd.carried = window(c.beat_start_s - period_s + inflate_after_r_s,
                           c.beat_start_s + deflation_offset_s);
    }
    return cmd;
  }

  double volume_mL_;
  double tau_inflate_s_;
  double tau_deflate_s_;
  double ejection_end_coefficient_s_;
  double ramp_s_;
  double threshold_;
  DeviceSettings defaults_{};
  std::array<SettingSpec, kSettingCount> settings_{};
};

}  // namespace

std::span<const DeviceParameterSpec> balloon_pump_parameter_specs() { return kParameterSpecs; }

std::unique_ptr<physio::DeviceBlock> make_balloon_pump(const DeviceParameters& p) {
  require_parameters(kParameterSpecs, p, "balloon pump");
  if (p.at("defaults.ratio") != std::round(p.at("defaults.ratio"))) {
    throw InputError("balloon pump: defaults.ratio must be 1, 2 or 3 (1:1, 1:2, 1:3)");
  }
  return std::make_unique<BalloonPump>(p);
}

}  // namespace unload::devices
