// The interface between the circulation and the devices attached to it (micro-axial pump,
// balloon pump, VA-ECMO). A device is a block with its own states that connects sites of the
// circulation: it reads the pressures (and a few volumes) at its sites, and returns flows between
// sites, blood volume it displaces inside a site (a balloon), the derivatives of its own states,
// and the readings of its sensors. Adding a device means writing one DeviceBlock and registering
// it in devices/registry.cpp: the circulation, the solver and the recorders stay as they are.
//
// Blocks are immutable (parameters only) and shared between runs; everything that changes lives
// in the state vector (device states follow the circulation's) or in DeviceSettings (what an
// operator or a console sets: speed, ratio, timing, position).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "unload/core/signals.hpp"

namespace unload::physio {

// Places in the circulation a device can connect to.
enum class Site : std::size_t {
  left_ventricle,
  aortic_root,
  descending_aorta,
  right_atrium,
  vena_cava,
  left_atrium,
  pulmonary_arteries,
  count
};
inline constexpr std::size_t site_count = static_cast<std::size_t>(Site::count);

// What a device sees of the circulation at one instant.
struct DeviceContext {
  double t_s = 0;
  std::array<double, site_count> pressure_mmHg{};  // by Site
  double left_ventricle_mL = 0;                    // for suction
  double left_ventricle_unstressed_mL = 0;         // LV volume at zero passive pressure
  double aortic_valve_flow_mL_s = 0;
  // Beat timing (the simulated ECG): the current beat's R wave and period, and when the previous
  // beat's ejection ended relative to its R wave (0 before the first beat ends).
  double beat_start_s = 0;
  double period_s = 1;
  double beat_index = 0;
  double previous_ejection_end_s = 0;
  // Whether this beat began with an R wave: false in VF and asystole, whose beats are a nominal
  // clock (a balloon pump's ECG or pressure trigger finds nothing to time from).
  bool r_wave = true;
};

// Net flows a device adds to each site (mL/s, positive into the site). Flows come in pairs.
class SiteFlows {
 public:
  void clear() { q_.fill(0.0); }
  void move(Site from, Site to, double q_mL_s) {
    q_[static_cast<std::size_t>(from)] -= q_mL_s;
    q_[static_cast<std::size_t>(to)] += q_mL_s;
  }
  double into(Site s) const { return q_[static_cast<std::size_t>(s)]; }

 private:
  std::array<double, site_count> q_{};
};

// Operator/console settings of one device, by slot (the device names its slots). Slots past the
// device's SettingSpec list are the device's own: it may keep there values it derives from the
// settings (DeviceBlock::derive_settings), so that the right-hand side does not recompute them.
inline constexpr std::size_t max_device_settings = 12;
struct DeviceSettings {
  std::array<double, max_device_settings> value{};
};

struct SettingSpec {
  std::string_view name;  // e.g. "speed_rpm", "ratio", "position"
  std::string_view unit;  // "rpm", "1", ...
  double min = 0, max = 0;
  std::string_view help;  // what it means, with accepted words ("P0..P8, BOOST")
  // What a console commands through this setting; none for a physical state that only events
  // change (the pump's position, an occluded purge line, a failed motor).
  CommandKind command = CommandKind::none;
};

// Readings of one device at one instant, by slot (the device names its slots).
inline constexpr std::size_t max_device_readings = 16;
struct DeviceReadings {
  std::array<double, max_device_readings> value{};
  // Set by the plant when only the readings marked as sensors are wanted (a console's tick): a
  // device may then skip the others.
  bool sensors_only = false;
};

// How a reading is summarised per beat in beats.csv and summary.json. `cumulative` is the time
// integral of the reading since the start of the run (a rate that accumulates, e.g. blood damage),
// which keeps slowly accumulating quantities out of the integrated state. A reading of exactly 0
// means "no value here" for `max`, `min` and `last` (`min` skips zeros); a beat without any value
// reports NaN (null in JSON).
enum class BeatSummary { none, mean, max, min, last, cumulative };

// One reading of a device: a waveform column, and optionally a sensor of the real device and a
// per-beat metric. Defined once here; the outputs, `unload list` and the docs read it.
struct ReadingSpec {
  std::string_view name;  // column name with unit, e.g. "pump_flow_mL_s"
  std::string_view unit;  // e.g. "mL/s"
  Signal signal =
      Signal::none;  // the real device's sensor that measures it (none: simulation only)
  std::string_view description;  // what it is, in words
  BeatSummary summary = BeatSummary::none;
  std::string_view summary_key;    // metric key, e.g. "pump_flow_L_min" (empty: none)
  double summary_scale = 1;        // unit conversion into the summary key's unit
  std::string_view summary_label;  // the metric in words, e.g. "pump flow"
  std::string_view summary_unit;   // e.g. "L/min"
};

class DeviceBlock {
 public:
  // parameter_fingerprint: a fingerprint of the parameter values the block was built from, so
  // that a saved simulation State can tell whether it belongs to the same device.
  explicit DeviceBlock(std::uint64_t parameter_fingerprint)
      : parameter_fingerprint_(parameter_fingerprint) {}
  virtual ~DeviceBlock() = default;
  DeviceBlock(const DeviceBlock&) = delete;
  DeviceBlock& operator=(const DeviceBlock&) = delete;
  std::uint64_t parameter_fingerprint() const { return parameter_fingerprint_; }

  // Kind as the user names it ("impella-cp", "iabp", "va-ecmo").
  virtual std::string_view kind() const = 0;

  virtual std::size_t state_size() const = 0;
  virtual std::string_view state_name(std::size_t i) const = 0;
  virtual void initial_state(std::span<double> x, const DeviceSettings& s) const = 0;

  virtual std::span<const SettingSpec> setting_specs() const = 0;
  virtual DeviceSettings default_settings() const = 0;
  // Parses a setting given as text ("P8", "1:2", "ventricle"), or returns nullopt with `error`
  // saying what is accepted. Numbers in the setting's unit are always accepted.
  virtual std::optional<double> parse_setting(std::string_view name, std::string_view text,
                                              std::string& error) const = 0;

  virtual std::span<const ReadingSpec> reading_specs() const = 0;

  // Fills the derived slots of `s` after any setting changed (called by the simulation).
  virtual void derive_settings(DeviceSettings& /*s*/) const {}

  // How many beats the device's pattern of action spans with these settings: 1 for a device that
  // acts alike in every beat, n for one that acts in every n-th beat (a balloon pump at 1:n).
  // Comparisons between beats (the steady-state test) compare whole patterns.
  virtual int beats_per_cycle(const DeviceSettings& /*s*/) const { return 1; }

  // The sites whose pressures its sensor readings (ReadingSpec::signal) need with these settings,
  // as bits 1 << Site (every site by default). A console's tick computes only those when it can
  // (Circulation::sense): the sensor readings of a device that names fewer must then depend on
  // nothing else of the DeviceContext but its time and beat timing (what is not computed is NaN).
  virtual std::uint32_t sensed_sites(const DeviceSettings& /*s*/) const {
    return (1u << site_count) - 1;
  }

  // Whether the device takes up volume inside a vessel at all (a balloon).
  virtual bool displaces_volume() const { return false; }
  // Blood volume the device takes up inside a site (mL): an inflated balloon.
  virtual double displaced_volume_mL(std::span<const double> /*x*/, Site /*site*/) const {
    return 0.0;
  }

  // Flows between sites, the derivatives of the device's states and, when `out` is not null,
  // the readings. Must not allocate.
  virtual void evaluate(const DeviceContext& c, std::span<const double> x, std::span<double> dxdt,
                        const DeviceSettings& s, SiteFlows& flows, DeviceReadings* out) const = 0;

 private:
  std::uint64_t parameter_fingerprint_;
};

// Index of a setting by name, or nullopt.
std::optional<std::size_t> find_setting(const DeviceBlock& d, std::string_view name);
// Index of a reading by name (within the block's reading_specs()), or nullopt.
std::optional<std::size_t> find_reading(const DeviceBlock& d, std::string_view name);

}  // namespace unload::physio
