// unload console replay: drives the pump's console from a recorded file of its sensor signals and
// prints what it estimates and which alarms it raises. The console sees signals only, in the
// simulation as here: replaying a run's waveforms.csv gives the console the same inputs (resampled
// to its 100 Hz tick), so engineers can test it with recordings.
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "stop_signals.hpp"
#include "unload/control/impella_console.hpp"
#include "unload/core/error.hpp"
#include "unload/devices/registry.hpp"
#include "unload/io/pump_console.hpp"
#include "unload/io/signal_file.hpp"
#include "unload/io/writers.hpp"
#include "unload/sim/model.hpp"

namespace unload::cli {

namespace {

class Printer final : public control::ConsoleListener {
 public:
  explicit Printer(bool json) : json_(json) {}
  void on_console_message(const control::ConsoleMessage& m) override {
    using control::MessageKind;
    const bool alarm = m.kind == MessageKind::alarm_raised ||
                       m.kind == MessageKind::alarm_acknowledged ||
                       m.kind == MessageKind::alarm_muted || m.kind == MessageKind::alarm_cleared;
    if (m.kind == MessageKind::alarm_raised) ++raised[static_cast<std::size_t>(m.priority)];
    nlohmann::json j = {{"time_s", m.t_s},
                        {"event", control::message_kind_name(m.kind)},
                        {"name", m.name},
                        {"text", m.text}};
    if (alarm) j["priority"] = control::priority_name(m.priority);
    messages.push_back(j);
    if (!json_) {
      fmt::print("{:10.2f}  {:<14} {:<26} {}{}\n", m.t_s, control::message_kind_name(m.kind),
                 m.name, m.text,
                 alarm ? fmt::format(" [{}]", control::priority_name(m.priority)) : "");
    }
  }
  nlohmann::json messages = nlohmann::json::array();
  std::array<int, 3> raised{};

 private:
  bool json_;
};

// The recording's value of every sensor at time t (linear between rows; rows[i] <= t).
SignalFrame frame_at(const std::vector<SignalFrame>& rows, std::size_t& i, double t) {
  while (i + 1 < rows.size() && rows[i + 1].t_s <= t) ++i;
  SignalFrame f = rows[i];
  f.t_s = t;
  if (i + 1 < rows.size() && t > rows[i].t_s) {
    const double w = (t - rows[i].t_s) / (rows[i + 1].t_s - rows[i].t_s);
    for (Signal s : io::kPumpSensorSignals) {
      const auto k = static_cast<std::size_t>(s);
      f.value[k] = rows[i].value[k] + w * (rows[i + 1].value[k] - rows[i].value[k]);
    }
  }
  return f;
}

}  // namespace

int console_replay(const ConsoleReplayOptions& options) {
  const io::SignalRecording rec = io::read_signal_file(options.signals, options.device);
  if (rec.device_kind.empty()) {
    throw InputError(
        fmt::format("{}: the columns do not say which pump recorded them (bare "
                    "names): name it with --device impella-2.5, impella-cp or "
                    "impella-5.5",
                    options.signals.string()));
  }
  const auto* type = devices::find_device_type(rec.device_kind);
  if (!type || type->family != "micro-axial pump") {
    throw InputError(
        fmt::format("{}: '{}' is not a micro-axial pump (expected impella-2.5, "
                    "impella-cp or impella-5.5)",
                    options.signals.string(), rec.device_kind));
  }
  const double first_speed = rec.frames.front()[Signal::motor_speed_rpm];
  control::ImpellaConsole console(io::load_console_config(rec.device_kind), first_speed, true);
  Printer printer(options.json);
  console.set_listener(&printer, 0);
  if (!options.json) {
    fmt::print(
        "Console replay (simulation software, for education and research; not for "
        "clinical decisions)\n");
    fmt::print("{}: {} samples of {} from {:.2f} to {:.2f} s, replayed at the console's 100 Hz\n\n",
               options.signals.string(), rec.frames.size(), rec.device_kind, rec.frames.front().t_s,
               rec.frames.back().t_s);
    fmt::print("{:>10}  {:<14} {:<26} {}\n", "time_s", "event", "name", "text");
  }
  const double dt = sim::SimulationOptions{}.control_interval_s;
  const double t0 = rec.frames.front().t_s;
  const double t1 = rec.frames.back().t_s;
  std::vector<Command> commands;
  std::vector<SignalFrame> frame(1);
  nlohmann::json estimates = nlohmann::json::array();
  double next_report = t0 + options.every_s;
  std::size_t row = 0;
  for (long k = 0;; ++k) {
    const double t = t0 + static_cast<double>(k) * dt;
    if (t > t1 + 1e-9) break;
    if (stop_flag()->load()) throw Interrupted("console replay interrupted");
    frame[0] = frame_at(rec.frames, row, t);
    commands.clear();
    console.tick(t, frame, commands);
    for (const auto& c : commands) {
      const std::string text =
          fmt::format("console commands {} = {:g} (a recording cannot follow it)",
                      command_name(c.kind), c.value);
      printer.messages.push_back(
          {{"time_s", t}, {"event", "command"}, {"name", command_name(c.kind)}, {"text", text}});
      if (!options.json) fmt::print("{:10.2f}  {:<14} {:<26} {}\n", t, "command", "", text);
    }
    if (t + 1e-9 >= next_report || t + dt > t1 + 1e-9) {
      next_report += options.every_s;
      nlohmann::json j = io::console_display_json(console);
      j["time_s"] = t;
      // The waveform estimates behind the display (engineers tuning a rule need them): the LV
      // pressure one tick behind, and the pump flow at the last sample (null while the rotor is too
      // slow to read a flow from).
      const auto& e = console.display().estimates;
      const auto shown = [&](double v) {
        return e.flow_valid && std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
      };
      j["lv_pressure_estimate_mmHg"] = shown(e.lv_pressure_mmHg);
      j["pump_flow_estimate_mL_s"] = shown(e.instantaneous_flow_mL_s);
      estimates.push_back(j);
    }
  }
  if (options.json) {
    fmt::print("{}\n", io::json_text(nlohmann::json{{"notice", io::kSimulationNotice},
                                                    {"file", options.signals.string()},
                                                    {"device", rec.device_kind},
                                                    {"samples", rec.frames.size()},
                                                    {"messages", printer.messages},
                                                    {"estimates", estimates},
                                                    {"alarms_critical", printer.raised[2]},
                                                    {"alarms_serious", printer.raised[1]},
                                                    {"alarms_advisory", printer.raised[0]}}));
    return 0;
  }
  fmt::print("\n{:>10}  {:<12} {:>10} {:>10} {:>9} {:>8}  {}\n", "time_s", "mode", "flow L/min",
             "LVEDP mmHg", "MAP mmHg", "CPO W", "placement");
  const auto cell = [](const nlohmann::json& v, const char* format) {
    return v.is_null() ? std::string("-") : fmt::format(fmt::runtime(format), v.get<double>());
  };
  for (const auto& e : estimates) {
    fmt::print("{:10.2f}  {:<12} {:>10} {:>10} {:>9} {:>8}  {}\n", e["time_s"].get<double>(),
               e["mode"].get<std::string>(), cell(e["displayed_flow_L_min"], "{:.2f}"),
               cell(e["lvedp_estimate_mmHg"], "{:.1f}"), cell(e["map_estimate_mmHg"], "{:.1f}"),
               cell(e["cpo_estimate_W"], "{:.2f}"), e["placement"].get<std::string>());
  }
  fmt::print("\nAlarms raised: {} critical, {} serious, {} advisory\n", printer.raised[2],
             printer.raised[1], printer.raised[0]);
  return 0;
}

}  // namespace unload::cli
