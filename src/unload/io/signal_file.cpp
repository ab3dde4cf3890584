#include "unload/io/signal_file.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <string_view>

#include "unload/core/error.hpp"
#include "unload/io/input_file.hpp"

namespace unload::io {

namespace {

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> cells;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    cells.push_back(
        line.substr(start, comma == std::string_view::npos ? line.npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return cells;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

SignalRecording read_signal_file(const std::filesystem::path& file,
                                 const std::string& device_kind) {
  detail::check_input_file(file, "signal file");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open the signal file", file.string()));
  std::string line;
  if (!std::getline(in, line)) {
    throw InputError(
        fmt::format("{}:1: empty file (expected a header line with t_s and the "
                    "pump's sensor columns)",
                    file.string()));
  }
  const auto header = split(line);
  // Columns: time, then each sensor (by bare name or <kind>.<name>).
  std::optional<std::size_t> time_col;
  std::size_t sensor_col[std::size(kPumpSensorSignals)];
  bool found[std::size(kPumpSensorSignals)] = {};
  SignalRecording out;
  out.device_kind = device_kind;
  for (std::size_t c = 0; c < header.size(); ++c) {
    const std::string_view name = trim(header[c]);
    if (name == "t_s" || name == "time_s") {
      time_col = c;
      continue;
    }
    for (std::size_t k = 0; k < std::size(kPumpSensorSignals); ++k) {
      const std::string_view sensor = signal_name(kPumpSensorSignals[k]);
      std::string_view prefix;
      if (name == sensor) {
        prefix = "";
      } else if (name.size() > sensor.size() + 1 && name.ends_with(sensor) &&
                 name[name.size() - sensor.size() - 1] == '.') {
        prefix = name.substr(0, name.size() - sensor.size() - 1);
      } else {
        continue;
      }
      if (!prefix.empty()) {
        if (out.device_kind.empty()) out.device_kind = std::string(prefix);
        if (prefix != out.device_kind) {
          if (device_kind.empty()) {
            throw InputError(fmt::format(
                "{}:1: column {} ('{}'): the file holds the signals of '{}' and '{}' (choose one "
                "with --device)",
                file.string(), c + 1, name, out.device_kind, prefix));
          }
          continue;
        }
      }
      if (found[k]) {
        throw InputError(fmt::format("{}:1: column {} ('{}'): {} given twice", file.string(), c + 1,
                                     name, sensor));
      }
      found[k] = true;
      sensor_col[k] = c;
    }
  }
  if (!time_col) {
    throw InputError(
        fmt::format("{}:1: missing column 't_s' (the time of each sample, s)", file.string()));
  }
  for (std::size_t k = 0; k < std::size(kPumpSensorSignals); ++k) {
    if (!found[k]) {
      throw InputError(fmt::format(
          "{}:1: missing column '{}{}' (a replay needs placement_signal_mmHg, motor_current_mA, "
          "motor_speed_rpm, purge_pressure_mmHg and purge_flow_mL_h)",
          file.string(), out.device_kind.empty() ? "" : out.device_kind + ".",
          signal_name(kPumpSensorSignals[k])));
    }
  }
  long line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (trim(line).empty()) continue;
    const auto cells = split(line);
    if (cells.size() != header.size()) {
      throw InputError(fmt::format("{}:{}: {} values, but the header has {} columns", file.string(),
                                   line_number, cells.size(), header.size()));
    }
    const auto number = [&](std::size_t c) {
      const std::string_view text = trim(cells[c]);
      double v = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size() || text.empty() ||
          !std::isfinite(v)) {
        throw InputError(fmt::format("{}:{}: column {} ('{}'): expected a finite number, got '{}'",
                                     file.string(), line_number, c + 1, trim(header[c]), text));
      }
      return v;
    };
    SignalFrame f;
    f.t_s = number(*time_col);
    if (!out.frames.empty() && !(f.t_s > out.frames.back().t_s)) {
      throw InputError(fmt::format(
          "{}:{}: column {} ('t_s'): time {} s does not come after {} s (times must increase)",
          file.string(), line_number, *time_col + 1, f.t_s, out.frames.back().t_s));
    }
    for (std::size_t k = 0; k < std::size(kPumpSensorSignals); ++k) {
      f.value[static_cast<std::size_t>(kPumpSensorSignals[k])] = number(sensor_col[k]);
    }
    out.frames.push_back(f);
  }
  if (out.frames.empty()) {
    throw InputError(fmt::format("{}: no samples after the header", file.string()));
  }
  return out;
}

}  // namespace unload::io
