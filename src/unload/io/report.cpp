#include "unload/io/report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "unload/core/build_info.hpp"
#include "unload/core/error.hpp"
#include "unload/io/input_file.hpp"
#include "unload/io/output_directory.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/svg_plot.hpp"
#include "unload/io/toml_errors.hpp"
#include "unload/io/writers.hpp"
#include "unload/sim/procedure_metrics.hpp"

namespace unload::io {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

using detail::Dot;
using detail::dot_plot;
using detail::figure;
using detail::nice_step;
using detail::Plot;
using detail::Series;
using detail::ticks;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Pixel columns of a plot through the whole run: each holds the lowest and highest sample in it,
// so that no peak is lost however long the run (a 600 s run at 50 Hz has 50 samples a column).
constexpr int kBuckets = 640;
// Inflations whose pressure-volume loops are drawn (the first ones); more only lengthen the page.
constexpr std::size_t kMaxLoopInflations = 12;
// The beat shown "after" an inflation: the last complete one this long after the deflation (or
// before the next inflation, whichever comes first).
constexpr double kAfterInflation_s = 30;
// Full-resolution window of the waveforms (s), ending at the end of the first inflation.
constexpr double kZoom_s = 6;
// Rows of the alarm table.
constexpr std::size_t kMaxAlarmRows = 200;

const std::string kNotice(kSimulationNotice);

// --- text ---

std::string esc(std::string_view text) { return detail::html_escape(text); }

// A number for people: "\u2014" when there is none.
std::string fnum(double v, int decimals) { return detail::format_number(v, decimals); }

std::string percent(double share) {
  if (!std::isfinite(share)) return "\u2014";
  return fmt::format("{:.0f}%", 100 * share);
}

std::string notice_html() { return "<p class=\"notice\">" + esc(kNotice) + "</p>\n"; }

// --- JSON input ---

struct JsonFile {
  fs::path file;
  json root;
};

JsonFile read_json(const fs::path& file, std::string_view what) {
  return {file, detail::parse_json_text(file, detail::read_input_file(file, what))};
}

[[noreturn]] void bad_key(const fs::path& file, std::string_view key, std::string_view expected,
                          const json& got) {
  throw InputError(fmt::format("{}: key '{}': expected {}, got {}", file.string(), key, expected,
                               detail::shown(got.dump(), 60)));
}

// A number or null (NaN) at j[key]; absent is null.
double number_or_nan(const fs::path& file, const json& j, const std::string& key,
                     std::string_view path) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return kNaN;
  if (!j[key].is_number())
    bad_key(file, fmt::format("{}{}", path, key), "a number or null", j[key]);
  return j[key].get<double>();
}

std::string string_or(const fs::path& file, const json& j, const std::string& key,
                      std::string_view path, std::string fallback = {}) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_string()) bad_key(file, fmt::format("{}{}", path, key), "a string", j[key]);
  return j[key].get<std::string>();
}

const json& object_at(const fs::path& file, const json& j, const std::string& key,
                      std::string_view path, bool required) {
  static const json kEmpty = json::object();
  if (!j.contains(key) || (!required && j[key].is_null())) {
    if (required) {
      throw InputError(
          fmt::format("{}: key '{}{}': missing (expected an object)", file.string(), path, key));
    }
    return kEmpty;
  }
  if (!j[key].is_object()) bad_key(file, fmt::format("{}{}", path, key), "an object", j[key]);
  return j[key];
}

// --- CSV input ---

// Splits one CSV line into fields (RFC 4180 quotes: alarms.csv quotes a text with a comma).
// Returns false for an unterminated quote.
bool split_csv(std::string_view line, std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size()) {
      if (quoted) return false;
      fields.push_back(std::move(field));
      break;
    }
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else {
      field += c;
    }
  }
  return true;
}

// Splits a line without quotes (waveforms.csv, beats.csv) into views; fast.
void split_plain(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return;
    }
    fields.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

// A CSV file read line by line, with its header.
class CsvInput {
 public:
  explicit CsvInput(const fs::path& file) : file_(file) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
      throw InputError(
          fmt::format("{}: missing (a run directory of `unload run` holds it)", file.string()));
    }
    in_.open(file, std::ios::binary);
    if (!in_) throw InputError(fmt::format("{}: cannot be read", file.string()));
    std::string header;
    if (!next_line(header) || header.empty()) {
      throw InputError(
          fmt::format("{}:1: expected a header line, got an empty file", file.string()));
    }
    if (!split_csv(header, header_)) {
      throw InputError(fmt::format("{}:1: unterminated quote in the header", file.string()));
    }
  }

  const std::vector<std::string>& header() const { return header_; }
  const fs::path& file() const { return file_; }
  std::size_t line() const { return line_; }

  // The index of a column, or nullopt.
  std::optional<std::size_t> find(std::string_view name) const {
    for (std::size_t i = 0; i < header_.size(); ++i) {
      if (header_[i] == name) return i;
    }
    return std::nullopt;
  }
  std::size_t require(std::string_view name, std::string_view what) const {
    if (auto i = find(name)) return *i;
    throw InputError(
        fmt::format("{}:1: expected a column '{}' ({}) in the header", file_.string(), name, what));
  }

  bool next_line(std::string& line) {
    if (!std::getline(in_, line)) return false;
    ++line_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }

  // The next data line split into plain fields; false at the end. Checks the field count.
  bool next_plain(std::string& buffer, std::vector<std::string_view>& fields) {
    while (next_line(buffer)) {
      if (buffer.empty()) continue;
      split_plain(buffer, fields);
      check_count(fields.size());
      return true;
    }
    return false;
  }

  bool next_quoted(std::string& buffer, std::vector<std::string>& fields) {
    while (next_line(buffer)) {
      if (buffer.empty()) continue;
      if (!split_csv(buffer, fields)) {
        throw InputError(fmt::format("{}:{}: unterminated quote", file_.string(), line_));
      }
      check_count(fields.size());
      return true;
    }
    return false;
  }

  // A number field; empty is NaN (a value that does not apply).
  double number(std::string_view text, std::size_t column) const {
    if (text.empty()) return kNaN;
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) {
      throw InputError(fmt::format("{}:{}: column '{}': expected a number, got '{}'",
                                   file_.string(), line_, header_[column],
                                   detail::shown(text, 40)));
    }
    return v;
  }

 private:
  void check_count(std::size_t n) const {
    if (n != header_.size()) {
      throw InputError(fmt::format("{}:{}: expected {} fields as in the header, got {}",
                                   file_.string(), line_, header_.size(), n));
    }
  }

  fs::path file_;
  std::ifstream in_;
  std::vector<std::string> header_;
  std::size_t line_ = 0;
};

// --- what a run directory holds ---

struct Episode {  // an inflation: one or more balloons inflated together
  double start_s = 0, end_s = 0;
  std::string territories;
};

using Mark = detail::EventMark;  // a fault, a rhythm, a shock: a vertical line

struct Alarm {
  double t_s = 0;
  std::string device, alarm, priority, event, text;
};

// The lowest and highest sample of a column in each pixel column.
struct Envelope {
  std::vector<double> lo, hi;
};

// Samples at full resolution between t0 and t1.
struct Window {
  double t0 = 0, t1 = 0;
  std::vector<double> t;
  std::map<std::string, std::vector<double>> columns;
};

struct LoopSet {  // before, during and after one inflation
  std::size_t episode = 0;
  std::array<std::optional<std::size_t>, 3> window;  // index into Run::windows
};

// The columns of waveforms.csv the report draws, with their labels and units.
struct Wanted {
  std::string column, label, unit;
  double scale = 1;  // e.g. mL/s to L/min
};

struct Run {
  fs::path dir;
  fs::path summary_file;
  json summary;
  std::string patient, patient_description, scenario_name, scenario_description;
  double duration_s = 0;
  int buckets = kBuckets;  // pixel columns of the plots through the run (fewer for few samples)
  std::vector<std::string> devices;
  bool console = false;
  std::vector<Episode> episodes;
  std::vector<Mark> marks;
  // beats.csv: the columns the report uses, by name
  std::vector<double> beat_start;
  std::map<std::string, std::vector<double>> beats;
  // waveforms.csv
  std::vector<Wanted> pressure, volume, device;
  std::map<std::string, Envelope> overview;
  std::vector<Window> windows;
  std::vector<LoopSet> loops;
  std::optional<std::size_t> zoom;  // index into windows
  std::vector<Alarm> alarms;
  std::size_t samples = 0;
};

const std::vector<std::string> kBeatColumns = {"map_mmHg", "lvedp_mmHg", "cpo_W",
                                               "ef_pct",   "co_L_min",   "pap_mean_mmHg"};

void read_summary(Run& run) {
  run.summary_file = run.dir / "summary.json";
  std::error_code ec;
  if (!fs::is_regular_file(run.summary_file, ec)) {
    throw InputError(
        fmt::format("{}: missing; expected the output directory of `unload run` (summary.json, "
                    "waveforms.csv, beats.csv, alarms.csv) or of a comparison (compare.json)",
                    run.summary_file.string()));
  }
  const JsonFile f = read_json(run.summary_file, "summary");
  const fs::path& file = f.file;
  const json& s = f.root;
  if (!s.is_object()) bad_key(file, "(top level)", "an object", s);
  run.summary = s;
  run.patient = string_or(file, s, "patient", "", "?");
  run.patient_description = string_or(file, s, "patient_description", "");
  const json& scenario = object_at(file, s, "scenario", "", true);
  run.scenario_name = string_or(file, scenario, "name", "scenario.");
  run.scenario_description = string_or(file, scenario, "description", "scenario.");
  run.duration_s = number_or_nan(file, s, "duration_s", "");
  if (!(run.duration_s > 0)) {
    throw InputError(
        fmt::format("{}: key 'duration_s': expected a positive number of seconds", file.string()));
  }
  // At least two samples a pixel column, so that a short run's envelope has no holes.
  const double rate = number_or_nan(file, scenario, "output_rate_Hz", "scenario.");
  if (rate > 0) {
    run.buckets = static_cast<int>(
        std::clamp(std::floor(run.duration_s * rate / 2), 2.0, static_cast<double>(kBuckets)));
  }
  if (s.contains("devices")) {
    if (!s["devices"].is_array())
      bad_key(file, "devices", "an array of device kinds", s["devices"]);
    for (const auto& d : s["devices"]) {
      if (!d.is_string()) bad_key(file, "devices[]", "a device kind", d);
      run.devices.push_back(d.get<std::string>());
    }
  }
  run.console = s.contains("console") && s["console"].is_object();
  // Inflations (balloons, merged when they overlap) and marks from the events.
  std::vector<Episode> balloons;
  if (s.contains("events")) {
    if (!s["events"].is_array()) bad_key(file, "events", "an array", s["events"]);
    std::size_t i = 0;
    for (const auto& e : s["events"]) {
      const std::string path = fmt::format("events[{}].", i++);
      if (!e.is_object()) bad_key(file, path, "an object", e);
      const double t = number_or_nan(file, e, "time", path);
      if (!std::isfinite(t)) {
        throw InputError(fmt::format("{}: key '{}time': expected a number", file.string(), path));
      }
      if (e.contains("balloon")) {
        const double d = number_or_nan(file, e, "duration", path);
        if (!(d > 0)) {
          throw InputError(
              fmt::format("{}: key '{}duration': expected a positive number", file.string(), path));
        }
        balloons.push_back({t, t + d, string_or(file, e, "balloon", path)});
      } else if (e.contains("fault")) {
        run.marks.push_back({t, "fault: " + string_or(file, e, "fault", path), true});
      } else if (e.contains("fault_cleared")) {
        run.marks.push_back({t, "cleared: " + string_or(file, e, "fault_cleared", path), false});
      } else if (e.contains("rhythm")) {
        const std::string r = string_or(file, e, "rhythm", path);
        run.marks.push_back({t, "rhythm: " + r, r == "vf" || r == "asystole" || r == "vt"});
      } else if (e.contains("defibrillate")) {
        run.marks.push_back({t, "defibrillation", false});
      } else if (e.contains("motor_failure") && e["motor_failure"].is_number()) {
        // A device setting as summary.json records it (what a fault event or a what-if run sets).
        const bool fails = e["motor_failure"].get<double>() > 0.5;
        run.marks.push_back(
            {t,
             fmt::format("{}: {}", string_or(file, e, "device", path, "pump"),
                         fails ? "the motor fails (the pump stops)" : "the motor works again"),
             fails});
      } else if (e.contains("stent")) {
        run.marks.push_back({t, "stent: " + string_or(file, e, "stent", path), false});
      } else if (e.contains("stenosis")) {
        run.marks.push_back({t, "stenosis: " + string_or(file, e, "stenosis", path), false});
      } else if (e.contains("drug")) {
        const double dose = number_or_nan(file, e, "dose", path);
        run.marks.push_back({t,
                             fmt::format("{} {}", string_or(file, e, "drug", path),
                                         std::isnan(dose) ? std::string()
                                         : dose > 0       ? fmt::format("{:g} mcg/kg/min", dose)
                                                          : std::string("stopped")),
                             false});
      }
    }
  }
  std::sort(balloons.begin(), balloons.end(),
            [](const Episode& a, const Episode& b) { return a.start_s < b.start_s; });
  for (const auto& b : balloons) {
    if (!run.episodes.empty() && b.start_s <= run.episodes.back().end_s) {
      auto& e = run.episodes.back();
      e.end_s = std::max(e.end_s, b.end_s);
      if (e.territories.find(b.territories) == std::string::npos) {
        e.territories += "+" + b.territories;
      }
    } else {
      run.episodes.push_back(b);
    }
  }
  // A rhythm of VF etc. found in the run itself (rhythm.last_vf_onset_s) without an event: the
  // ischaemic ventricle fibrillated.
  if (s.contains("rhythm") && s["rhythm"].is_object()) {
    const double vf = number_or_nan(file, s["rhythm"], "last_vf_onset_s", "rhythm.");
    const bool listed = std::any_of(run.marks.begin(), run.marks.end(), [&](const Mark& m) {
      return m.label == "rhythm: vf" && std::abs(m.t_s - vf) < 1;
    });
    if (std::isfinite(vf) && !listed) run.marks.push_back({vf, "VF began", true});
  }
  std::sort(run.marks.begin(), run.marks.end(),
            [](const Mark& a, const Mark& b) { return a.t_s < b.t_s; });
}

void read_beats(Run& run) {
  CsvInput csv(run.dir / "beats.csv");
  const std::size_t start = csv.require("start_s", "the time each beat starts");
  std::vector<std::pair<std::string, std::size_t>> columns;
  // Every run's beats.csv has these: one missing is a malformed directory, not a plot left out.
  for (const auto& name : kBeatColumns) {
    columns.emplace_back(name, csv.require(name, "a beat metric the report plots"));
  }
  // Device metrics: a pump's flow per beat (KIND.pump_flow_L_min or pump_flow_L_min).
  for (std::size_t i = 0; i < csv.header().size(); ++i) {
    const auto& h = csv.header()[i];
    if (h.ends_with("pump_flow_L_min") || h.ends_with("ecmo_flow_L_min"))
      columns.emplace_back(h, i);
  }
  std::string buffer;
  std::vector<std::string_view> fields;
  double last = -std::numeric_limits<double>::infinity();
  while (csv.next_plain(buffer, fields)) {
    const double t = csv.number(fields[start], start);
    if (!(t >= last)) {
      throw InputError(fmt::format("{}:{}: column 'start_s': expected beats in time order",
                                   csv.file().string(), csv.line()));
    }
    last = t;
    run.beat_start.push_back(t);
    for (const auto& [name, i] : columns) run.beats[name].push_back(csv.number(fields[i], i));
  }
}

// The beat that ends last at or before t (its index), if any. A beat ends where the next starts.
std::optional<std::size_t> beat_ending_by(const Run& run, double t, double not_before) {
  const auto& s = run.beat_start;
  std::optional<std::size_t> found;
  for (std::size_t k = 0; k + 1 < s.size(); ++k) {
    if (s[k + 1] <= t + 1e-9 && s[k] >= not_before - 1e-9) found = k;
    if (s[k + 1] > t) break;
  }
  return found;
}

std::size_t add_window(Run& run, double t0, double t1) {
  Window w;
  w.t0 = t0;
  w.t1 = t1;
  run.windows.push_back(std::move(w));
  return run.windows.size() - 1;
}

// The beats whose pressure-volume loops are drawn, and the zoom window.
void choose_windows(Run& run) {
  const auto& s = run.beat_start;
  const auto beat_window = [&](std::optional<std::size_t> k) -> std::optional<std::size_t> {
    if (!k) return std::nullopt;
    return add_window(run, s[*k], s[*k + 1]);
  };
  const std::size_t n = std::min(run.episodes.size(), kMaxLoopInflations);
  for (std::size_t i = 0; i < n; ++i) {
    const Episode& e = run.episodes[i];
    const double previous_end = i > 0 ? run.episodes[i - 1].end_s : 0.0;
    const double next_start =
        i + 1 < run.episodes.size() ? run.episodes[i + 1].start_s : run.duration_s;
    LoopSet set;
    set.episode = i;
    set.window[0] = beat_window(beat_ending_by(run, e.start_s, previous_end));
    set.window[1] = beat_window(beat_ending_by(run, e.end_s, e.start_s));
    set.window[2] = beat_window(
        beat_ending_by(run, std::min(e.end_s + kAfterInflation_s, next_start), e.end_s));
    run.loops.push_back(set);
  }
  if (run.episodes.empty() && s.size() > 2) {
    // No inflation: the last beat ending by 20 s (a shorter run: the first beat) and the last
    // complete beat.
    LoopSet set;
    set.window[0] = beat_window(beat_ending_by(run, std::min(20.0, s.back()), 0));
    if (!set.window[0]) set.window[0] = beat_window(std::size_t{0});
    set.window[2] = beat_window(s.size() - 2);
    run.loops.push_back(set);
  }
  const double zoom_end =
      run.episodes.empty() ? run.duration_s : std::min(run.episodes[0].end_s, run.duration_s);
  run.zoom = add_window(run, std::max(0.0, zoom_end - kZoom_s), zoom_end);
}

void read_waveforms(Run& run) {
  CsvInput csv(run.dir / "waveforms.csv");
  const std::size_t time = csv.require("t_s", "time");
  // LV first: its envelope spans the others and is drawn beneath them.
  run.pressure = {{"p_left_ventricle_mmHg", "LV pressure", "mmHg"},
                  {"p_aortic_root_mmHg", "aortic (arterial) pressure", "mmHg"},
                  {"p_pulmonary_arteries_mmHg", "pulmonary arterial pressure", "mmHg"}};
  run.volume = {{"v_left_ventricle_mL", "LV volume", "mL"}};
  for (const auto& d : run.devices) {
    const std::vector<Wanted> readings = {
        {d + ".pump_flow_mL_s", d + " pump flow", "L/min", 0.06},
        {d + ".motor_speed_rpm", d + " speed", "rpm"},
        {d + ".motor_current_mA", d + " motor current", "mA"},
        {d + ".ecmo_flow_mL_s", d + " circuit flow", "L/min", 0.06},
        {d + ".pump_speed_rpm", d + " pump speed", "rpm"},
        {d + ".balloon_volume_mL", d + " balloon volume", "mL"}};
    for (const auto& w : readings) {
      if (csv.find(w.column)) run.device.push_back(w);
    }
  }
  std::vector<std::pair<const Wanted*, std::size_t>> columns;
  for (const auto* group : {&run.pressure, &run.volume, &run.device}) {
    for (const auto& w : *group) {
      columns.emplace_back(&w, csv.require(w.column, w.label));
      run.overview[w.column] = {std::vector<double>(run.buckets, kNaN),
                                std::vector<double>(run.buckets, kNaN)};
    }
  }
  std::string buffer;
  std::vector<std::string_view> fields;
  double last = -std::numeric_limits<double>::infinity();
  while (csv.next_plain(buffer, fields)) {
    const double t = csv.number(fields[time], time);
    if (!(t >= last)) {
      throw InputError(fmt::format("{}:{}: column 't_s': expected samples in time order",
                                   csv.file().string(), csv.line()));
    }
    last = t;
    ++run.samples;
    const auto b = static_cast<std::size_t>(
        std::clamp(t / run.duration_s * run.buckets, 0.0, static_cast<double>(run.buckets - 1)));
    std::array<double, 16> values{};
    std::size_t k = 0;
    for (const auto& [w, i] : columns) {
      const double v = csv.number(fields[i], i) * w->scale;
      if (k < values.size()) values[k] = v;
      ++k;
      if (std::isnan(v)) continue;
      auto& env = run.overview[w->column];
      if (!(env.lo[b] <= v)) env.lo[b] = v;
      if (!(env.hi[b] >= v)) env.hi[b] = v;
    }
    for (auto& win : run.windows) {
      if (t < win.t0 - 1e-9 || t > win.t1 + 1e-9) continue;
      win.t.push_back(t);
      k = 0;
      for (const auto& [w, i] : columns) {
        win.columns[w->column].push_back(k < values.size() ? values[k]
                                                           : csv.number(fields[i], i) * w->scale);
        ++k;
      }
    }
  }
  if (run.samples == 0) {
    throw InputError(
        fmt::format("{}:2: expected samples after the header, got none", csv.file().string()));
  }
}

void read_alarms(Run& run) {
  const fs::path file = run.dir / "alarms.csv";
  std::error_code ec;
  if (!run.console && !fs::exists(file, ec)) return;  // a run without a console may lack it
  CsvInput csv(file);
  const std::size_t t = csv.require("time_s", "when");
  const std::size_t device = csv.require("device", "the pump");
  const std::size_t alarm = csv.require("alarm", "the alarm's key");
  const std::size_t priority = csv.require("priority", "advisory, serious or critical");
  const std::size_t event = csv.require("event", "raised, acknowledged, muted or cleared");
  const std::size_t text = csv.require("text", "what the console shows");
  std::string buffer;
  std::vector<std::string> fields;
  while (csv.next_quoted(buffer, fields)) {
    run.alarms.push_back({csv.number(fields[t], t), fields[device], fields[alarm], fields[priority],
                          fields[event], fields[text]});
  }
}

Run read_run(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw InputError(fmt::format(
        "{}: {}", dir.string(),
        fs::exists(dir, ec) ? "not a directory; expected a run directory" : "no such directory"));
  }
  Run run;
  run.dir = dir;
  read_summary(run);
  read_beats(run);
  choose_windows(run);
  read_waveforms(run);
  read_alarms(run);
  return run;
}

// --- sections of a run ---

std::vector<double> bucket_times(const Run& run) {
  std::vector<double> x(run.buckets);
  for (int i = 0; i < run.buckets; ++i) x[i] = (i + 0.5) * run.duration_s / run.buckets;
  return x;
}

// The same colour for a pressure in every plot (arterial red, as on a monitor); "" for the palette.
std::string colour_of(const std::string& column) {
  if (column == "p_aortic_root_mmHg") return "#c0392b";
  if (column == "p_left_ventricle_mmHg") return "#1f5fa8";
  if (column == "p_pulmonary_arteries_mmHg") return "#d4a017";
  return {};
}

void add_context(Plot& p, const Run& run) {
  for (const auto& e : run.episodes) {
    p.shade(e.start_s, e.end_s,
            fmt::format("inflation ({}) {:.0f}-{:.0f} s", e.territories, e.start_s, e.end_s));
  }
  for (const auto& m : run.marks) p.mark(m);
  p.set_x_range(0, run.duration_s);
}

std::string overview_plot(const Run& run, const std::vector<Wanted>& group,
                          const std::string& title, const std::string& y_label, bool with_map) {
  Plot p(title, "time (s)", y_label);
  const auto x = bucket_times(run);
  for (const auto& w : group) {
    const auto it = run.overview.find(w.column);
    if (it == run.overview.end()) continue;
    Series s;
    s.name = w.label;
    s.colour = colour_of(w.column);
    s.x = x;
    s.lo = it->second.lo;
    s.hi = it->second.hi;
    p.add(std::move(s));
  }
  if (with_map && run.beats.count("map_mmHg")) {
    Series s;
    s.name = "MAP (beat mean)";
    s.x = run.beat_start;
    s.y = run.beats.at("map_mmHg");
    s.colour = "#111111";
    p.add(std::move(s));
  }
  add_context(p, run);
  return p.svg();
}

std::string shading_note(const Run& run) {
  std::string o;
  if (!run.episodes.empty()) o += "Grey bands: balloon inflations. ";
  if (!run.marks.empty()) o += "Vertical lines: events (red: a fault or VF); hover for each. ";
  return o;
}

std::string run_waveforms_html(const Run& run) {
  std::string o;
  o += figure(
      overview_plot(run, run.pressure, "Pressures through the procedure", "pressure (mmHg)", true),
      "Arterial (aortic root), LV and pulmonary arterial pressure: the lowest and highest "
      "sample in each pixel column, with the mean arterial pressure of each beat. " +
          shading_note(run));
  o += figure(
      overview_plot(run, run.volume, "LV volume through the procedure", "volume (mL)", false),
      "LV volume, lowest and highest in each pixel column (end-systolic and end-diastolic "
      "volume). " +
          shading_note(run));
  if (run.zoom) {
    const Window& w = run.windows[*run.zoom];
    Plot p(fmt::format("Waveforms at full resolution, {:.1f} to {:.1f} s", w.t0, w.t1), "time (s)",
           "pressure (mmHg)");
    for (const auto& wanted : run.pressure) {
      Series s;
      s.name = wanted.label;
      s.colour = colour_of(wanted.column);
      s.x = w.t;
      if (auto it = w.columns.find(wanted.column); it != w.columns.end()) s.y = it->second;
      if (s.y.size() == s.x.size()) p.add(std::move(s));
    }
    for (const auto& e : run.episodes) p.shade(e.start_s, e.end_s, "inflation " + e.territories);
    o += figure(p.svg(), run.episodes.empty()
                             ? "The last seconds of the run, every sample."
                             : "The last seconds of the first inflation, every sample.");
  }
  return o;
}

std::string loops_html(const Run& run) {
  if (run.loops.empty()) return "<p class=\"no-data\">No complete beats to draw.</p>\n";
  std::string o;
  static const std::array<const char*, 3> names = {"before", "during (last beat)", "after"};
  static const std::array<const char*, 3> colours = {"#1f5fa8", "#c0392b", "#2e8b57"};
  o += "<div class=\"loops\">\n";
  for (const auto& set : run.loops) {
    std::string title;
    if (run.episodes.empty()) {
      title = "No inflation in this run: a beat at the start and the last beat";
    } else {
      const Episode& e = run.episodes[set.episode];
      title = fmt::format("Inflation {} ({}, {:.0f}-{:.0f} s)", set.episode + 1, e.territories,
                          e.start_s, e.end_s);
    }
    Plot p(title, "LV volume (mL)", "LV pressure (mmHg)");
    p.set_size(450, 320);
    for (std::size_t k = 0; k < 3; ++k) {
      if (!set.window[k]) continue;
      const Window& w = run.windows[*set.window[k]];
      const auto v = w.columns.find("v_left_ventricle_mL");
      const auto pr = w.columns.find("p_left_ventricle_mmHg");
      if (v == w.columns.end() || pr == w.columns.end()) continue;
      Series s;
      s.name = run.episodes.empty() ? (k == 0 ? "start" : "end") : names[k];
      s.name += fmt::format(" {:.0f} s", w.t0);
      s.x = v->second;
      s.y = pr->second;
      s.colour = colours[k];
      s.closed = true;
      p.add(std::move(s));
    }
    o += figure(p.svg(),
                "Pressure-volume loops of single beats at full resolution: the beat "
                "before the balloon went up, the last beat of the inflation, and a beat "
                "after the deflation.");
  }
  o += "</div>\n";
  if (run.episodes.size() > kMaxLoopInflations) {
    o += fmt::format("<p>Loops are drawn for the first {} of {} inflations.</p>\n",
                     kMaxLoopInflations, run.episodes.size());
  }
  return o;
}

std::string device_html(const Run& run) {
  if (run.device.empty()) {
    return "<p>No device with a pump in this run" +
           std::string(run.devices.empty() ? " (no support)." : ".") + "</p>\n";
  }
  std::string o;
  // One plot per unit: flows together, speeds together, currents, volumes.
  std::map<std::string, std::vector<Wanted>> by_unit;
  std::vector<std::string> order;
  for (const auto& w : run.device) {
    if (!by_unit.count(w.unit)) order.push_back(w.unit);
    by_unit[w.unit].push_back(w);
  }
  for (const auto& unit : order) {
    const auto& group = by_unit[unit];
    std::string what = unit == "L/min" ? "Pump flow"
                       : unit == "rpm" ? "Pump speed"
                       : unit == "mA"  ? "Motor current"
                                       : "Balloon volume";
    const std::string quantity = unit == "L/min" ? "flow"
                                 : unit == "rpm" ? "speed"
                                 : unit == "mA"  ? "current"
                                                 : "volume";
    o += figure(overview_plot(run, group, what, fmt::format("{} ({})", quantity, unit), false),
                what + ", lowest and highest in each pixel column" +
                    (unit == "L/min" ? " (the true flow; a micro-axial pump has no flow sensor, "
                                       "its console estimates it). "
                                     : ". ") +
                    shading_note(run));
  }
  return o;
}

std::string alarms_html(const Run& run) {
  if (!run.console) {
    return "<p>No pump console ran in this run, so there is no alarm timeline.</p>\n";
  }
  if (run.alarms.empty()) {
    return "<p>The console ran and raised no alarm.</p>\n";
  }
  // Timeline: one row per priority; a bar from each raise to its clear (or the end).
  static const std::array<const char*, 3> priorities = {"critical", "serious", "advisory"};
  static const std::array<const char*, 3> colours = {"#c0392b", "#d35400", "#b8860b"};
  const double left = 90, right = 14, top = 30, row = 28, bottom = 44, width = 920;
  const double pw = width - left - right, ph = row * 3, height = top + ph + bottom;
  const auto X = [&](double t) { return left + std::clamp(t / run.duration_s, 0.0, 1.0) * pw; };
  std::string o = fmt::format(
      "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" width=\"{}\" "
      "height=\"{}\" role=\"img\" aria-label=\"Alarm timeline\">\n<text class=\"title\" x=\"{}\" "
      "y=\"16\">Console alarms: raised until cleared</text>\n<g class=\"axis\">\n",
      width, height, width, height, left);
  const double step = nice_step(run.duration_s, 8);
  for (const double t : ticks(0, run.duration_s, step)) {
    o += fmt::format(
        "<line class=\"grid\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{}\" y2=\"{}\"/><text x=\"{:.1f}\" "
        "y=\"{}\" text-anchor=\"middle\">{:.0f}</text>\n",
        X(t), X(t), top, top + ph, X(t), top + ph + 16, t);
  }
  for (std::size_t i = 0; i < 3; ++i) {
    o += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", left - 6,
                     top + row * (static_cast<double>(i) + 0.5) + 4, priorities[i]);
  }
  o += fmt::format(
      "<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n<text class=\"label\" "
      "x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">time (s)</text>\n</g>\n",
      left, top, pw, ph, left + pw / 2, height - 6);
  for (const auto& e : run.episodes) {
    o += fmt::format(
        "<rect class=\"shade\" x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\"/>\n",
        X(e.start_s), top, std::max(0.5, X(e.end_s) - X(e.start_s)), ph);
  }
  std::size_t drawn = 0;
  for (std::size_t i = 0; i < run.alarms.size(); ++i) {
    const Alarm& a = run.alarms[i];
    if (a.event != "raised") continue;
    const auto p = std::find(priorities.begin(), priorities.end(), a.priority);
    const std::size_t r =
        p == priorities.end() ? 2 : static_cast<std::size_t>(p - priorities.begin());
    double end = run.duration_s;
    for (std::size_t j = i + 1; j < run.alarms.size(); ++j) {
      const Alarm& b = run.alarms[j];
      if (b.alarm == a.alarm && b.device == a.device &&
          (b.event == "cleared" || b.event == "raised")) {
        end = b.t_s;
        break;
      }
    }
    const double y = top + row * static_cast<double>(r) + 6;
    o += fmt::format(
        "<rect class=\"data alarm\" data-points=\"2\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
        "height=\"{}\" fill=\"{}\"><title>{:.1f}-{:.1f} s: {} ({}) {}</title></rect>\n",
        X(a.t_s), y, std::max(2.0, X(end) - X(a.t_s)), row - 12, colours[r], a.t_s, end,
        esc(a.alarm), esc(a.device), esc(a.text));
    ++drawn;
  }
  o += "</svg>\n";
  std::string html;
  if (drawn > 0) {
    html += "<figure>\n" + o +
            "<figcaption>Each alarm the console raised, from when it was raised until it cleared "
            "(hover for its text). Grey: balloon inflations.</figcaption>\n</figure>\n";
  }
  html +=
      "<table class=\"alarms\"><thead><tr><th>time (s)</th><th>device</th><th>alarm</th>"
      "<th>priority</th><th>event</th><th>text</th></tr></thead><tbody>\n";
  for (std::size_t i = 0; i < run.alarms.size() && i < kMaxAlarmRows; ++i) {
    const Alarm& a = run.alarms[i];
    html += fmt::format(
        "<tr "
        "class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        esc(a.priority), fnum(a.t_s, 1), esc(a.device), esc(a.alarm), esc(a.priority), esc(a.event),
        esc(a.text));
  }
  html += "</tbody></table>\n";
  if (run.alarms.size() > kMaxAlarmRows) {
    html += fmt::format("<p>The first {} of {} rows of alarms.csv.</p>\n", kMaxAlarmRows,
                        run.alarms.size());
  }
  return html;
}

// The procedure's key numbers of a run (summary.json "procedure"), by sim::procedure_fields().
std::string procedure_table(const Run& run) {
  const json& p = object_at(run.summary_file, run.summary, "procedure", "", false);
  std::string o =
      "<table class=\"metrics\"><thead><tr><th>key number</th><th>value</th>"
      "<th>unit</th></tr></thead><tbody>\n";
  for (const auto& f : sim::procedure_fields()) {
    const double v = number_or_nan(run.summary_file, p, std::string(f.name), "procedure.");
    o += fmt::format("<tr><td title=\"{}\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                     esc(f.name), esc(f.description),
                     fnum(v, f.unit == "W"   ? 2
                             : f.unit == "1" ? 0
                                             : 1),
                     esc(f.unit));
  }
  o += "</tbody></table>\n";
  return o;
}

// The pressure wire's FFR readings (summary.json "ffr"), one row per adenosine infusion (or part
// of one between coronary events); empty without any.
std::string ffr_html(const Run& run) {
  if (!run.summary.contains("ffr") || run.summary["ffr"].is_null()) return {};
  const json& list = run.summary["ffr"];
  if (!list.is_array()) bad_key(run.summary_file, "ffr", "an array", list);
  if (list.empty()) return {};
  std::string o =
      "<p>A pressure wire beyond each lesion, read during intravenous adenosine (maximal "
      "coronary vasodilation): the mean Pd/Pa of the beats from a minute into the infusion is the "
      "fractional flow reserve (FFR). 0.80 or less marks a lesion whose treatment the FAME trial "
      "supports (Tonino PAL et al., N Engl J Med 2009;360:213); 1.00: no lesion.</p>\n"
      "<table class=\"metrics\"><thead><tr><th>adenosine</th><th>rate (mcg/kg/min)</th>"
      "<th>read from (s)</th><th>beats</th>";
  for (const auto& label : physio::territory_labels) {
    o += fmt::format("<th>FFR {}</th>", esc(label));
  }
  o += "</tr></thead><tbody>\n";
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& r = list[i];
    const std::string path = fmt::format("ffr[{}].", i);
    if (!r.is_object()) bad_key(run.summary_file, fmt::format("ffr[{}]", i), "an object", r);
    const json& pd_pa = object_at(run.summary_file, r, "pd_pa", path, false);
    o += fmt::format(
        "<tr><td>{}-{} s</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td>",
        fnum(number_or_nan(run.summary_file, r, "start_s", path), 0),
        fnum(number_or_nan(run.summary_file, r, "end_s", path), 0),
        fnum(number_or_nan(run.summary_file, r, "dose_mcg_kg_min", path), 0),
        fnum(number_or_nan(run.summary_file, r, "from_s", path), 0),
        fnum(number_or_nan(run.summary_file, r, "beats", path), 0));
    for (const auto& label : physio::territory_labels) {
      o += fmt::format(
          "<td class=\"num\">{}</td>",
          fnum(number_or_nan(run.summary_file, pd_pa, std::string(label), path + "pd_pa."), 2));
    }
    o += "</tr>\n";
  }
  o += "</tbody></table>\n";
  return o;
}

std::string run_sections(const Run& run, const std::string& id, const std::string& heading,
                         int level) {
  const std::string h = fmt::format("h{}", level);
  std::string o;
  o += fmt::format("<section id=\"{}\" class=\"run\">\n<{}>{}</{}>\n", esc(id), h, esc(heading), h);
  o += notice_html();
  o += fmt::format(
      "<p>Patient <b>{}</b>{}; scenario <b>{}</b>{}; {:.0f} s simulated, {} beats; "
      "devices: {}.</p>\n",
      esc(run.patient),
      run.patient_description.empty() ? "" : " (" + esc(run.patient_description) + ")",
      esc(run.scenario_name),
      run.scenario_description.empty() ? "" : ": " + esc(run.scenario_description), run.duration_s,
      run.beat_start.size(),
      run.devices.empty() ? "none" : esc(fmt::format("{}", fmt::join(run.devices, ", "))));
  const std::string sub = fmt::format("h{}", level + 1);
  o += fmt::format("<{}>Key numbers of the procedure</{}>\n", sub, sub) + procedure_table(run);
  if (const std::string ffr = ffr_html(run); !ffr.empty()) {
    o += fmt::format("<{}>Fractional flow reserve</{}>\n", sub, sub) + ffr;
  }
  o += fmt::format("<{}>Pressures and LV volume through the procedure</{}>\n", sub, sub) +
       run_waveforms_html(run);
  o += fmt::format("<{}>Pressure-volume loops before, during and after each inflation</{}>\n", sub,
                   sub) +
       loops_html(run);
  o += fmt::format("<{}>Pump flow, speed and motor current</{}>\n", sub, sub) + device_html(run);
  o += fmt::format("<{}>Alarm timeline</{}>\n", sub, sub) + alarms_html(run);
  o += "</section>\n";
  return o;
}

// --- complications (data/report/complications.toml) ---

struct Complication {
  std::string name, how_often, population, source;
  std::vector<double> percent;
};

std::vector<Complication> read_complications() {
  const fs::path file = data_directory() / "report" / "complications.toml";
  const toml::table root = detail::parse_toml_file(file, "complication rates");
  std::vector<Complication> out;
  const toml::array* list = root["complication"].as_array();
  if (!list || list->empty()) {
    throw InputError(fmt::format("{}: expected [[complication]] tables", file.string()));
  }
  for (const auto& node : *list) {
    const toml::table* t = node.as_table();
    if (!t) {
      throw InputError(
          fmt::format("{}: key 'complication': expected tables", detail::location(file, node)));
    }
    Complication c;
    const auto text = [&](std::string_view key) {
      const toml::node* n = t->get(key);
      if (!n || !n->is_string() || n->as_string()->get().empty()) {
        throw InputError(fmt::format("{}: key '{}': expected a text",
                                     detail::location(file, n ? *n : node), key));
      }
      return n->as_string()->get();
    };
    c.name = text("name");
    c.how_often = text("how_often");
    c.population = text("population");
    c.source = text("source");
    const toml::node* p = t->get("percent");
    if (!p || !p->is_array() || p->as_array()->empty() || p->as_array()->size() > 2) {
      throw InputError(fmt::format("{}: key 'percent': expected one or two numbers (%)",
                                   detail::location(file, p ? *p : node)));
    }
    for (const auto& v : *p->as_array()) {
      c.percent.push_back(
          detail::checked_number(file, v, "percent", {0, 100}, "a percentage from 0 to 100"));
    }
    for (const auto& [key, value] : *t) {
      static const std::array<std::string_view, 5> known = {"name", "how_often", "population",
                                                            "source", "percent"};
      if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
        throw InputError(fmt::format("{}: unknown key '{}' (expected {})",
                                     detail::location(file, value), key.str(),
                                     "name, percent, how_often, population, source"));
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

// "about 5 to 8 in 100 people"
std::string in_words(const std::vector<double>& percent) {
  const auto one = [](double p) {
    if (p >= 10) return fmt::format("{:.0f}", p);
    return p >= 1 ? fmt::format("{:.0f}", p) : fmt::format("{:.1f}", p);
  };
  if (percent.size() == 2 && one(percent[0]) != one(percent[1])) {
    return fmt::format("about {} to {} in 100", one(percent[0]), one(percent[1]));
  }
  return fmt::format("about {} in 100", one(percent[0]));
}

std::string complications_table(const std::vector<Complication>& list) {
  std::string o =
      "<table class=\"risks\"><thead><tr><th>complication or outcome</th><th>how "
      "often</th><th>as published</th><th>in whom</th><th>source</th></tr></thead>"
      "<tbody>\n";
  for (const auto& c : list) {
    o += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"source\">{}</td></tr>\n",
        esc(c.name), esc(in_words(c.percent)), esc(c.how_often), esc(c.population), esc(c.source));
  }
  o += "</tbody></table>\n";
  return o;
}

// --- a comparison (compare.json) ---

struct VariantStat {
  double median = kNaN, p10 = kNaN, p90 = kNaN;
};

struct Strategy {
  std::string name, output;
  json entry;
  std::map<std::string, VariantStat> stats;
  std::optional<std::size_t> count;
  double share_map = kNaN, share_cpo = kNaN, share_completed = kNaN;
  std::optional<Run> run;
};

struct WhatIf {
  json entry;
  std::string title, strategy, output, event;
  std::optional<Run> run;
};

struct Comparison {
  fs::path dir, file;
  json root;
  std::string scenario_name, scenario_description, patient;
  double duration_s = kNaN;
  std::vector<Strategy> strategies;
  std::vector<WhatIf> what_if;
  int variants = 0;
};

// The metrics compare.json gives per strategy: key, label, unit, decimals. Labels of the
// procedure's numbers come from sim::procedure_fields().
struct MetricRow {
  std::string key, label, unit;
  int decimals = 1;
};

std::vector<MetricRow> comparison_rows() {
  std::vector<MetricRow> rows;
  for (const char* key :
       {"map_baseline_mmHg", "map_min_mmHg", "minutes_map_below_65", "cpo_baseline_W", "cpo_min_W",
        "cpo_max_fall_W", "lvedp_max_mmHg", "pva_mean_ischaemia_mmHg_mL", "ef_min_pct",
        "coronary_flow_nonoccluded_mL_min", "recovery_s"}) {
    MetricRow r{key, key, "", 1};
    for (const auto& f : sim::procedure_fields()) {
      if (f.name == key) {
        r.label = f.description;
        r.unit = f.unit;
      }
    }
    if (r.unit == "W") r.decimals = 2;
    if (r.key == "pva_mean_ischaemia_mmHg_mL" || r.key == "coronary_flow_nonoccluded_mL_min") {
      r.decimals = 0;
    }
    rows.push_back(r);
  }
  rows.push_back({"haemolysis_index",
                  "haemolysis index: mL of whole blood whose haemoglobin the "
                  "pump released",
                  "mL", 2});
  rows.push_back(
      {"collapse_time_s", "time the simulated circulation collapsed (— : it did not)", "s", 0});
  rows.push_back({"alarms_critical", "critical alarms raised by the console", "", 0});
  rows.push_back({"alarms_serious", "serious alarms raised by the console", "", 0});
  return rows;
}

// A subdirectory name from compare.json: one plain component inside the comparison directory.
fs::path subdirectory(const Comparison& c, const std::string& name, const std::string& key) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    throw InputError(fmt::format(
        "{}: key '{}': expected the name of a subdirectory of {} (no '/', not '.' or '..'), got "
        "\"{}\"",
        c.file.string(), key, c.dir.string(), detail::shown(name, 60)));
  }
  return c.dir / name;
}

Comparison read_comparison(const fs::path& dir) {
  Comparison c;
  c.dir = dir;
  c.file = dir / "compare.json";
  const JsonFile f = read_json(c.file, "comparison");
  const json& j = f.root;
  if (!j.is_object()) bad_key(c.file, "(top level)", "an object", j);
  if (string_or(c.file, j, "format", "") != "unload-compare") {
    throw InputError(fmt::format("{}: key 'format': expected \"unload-compare\"", c.file.string()));
  }
  const double version = number_or_nan(c.file, j, "version", "");
  if (version != 1) {
    throw InputError(
        fmt::format("{}: key 'version': expected 1, got {}", c.file.string(), fnum(version, 0)));
  }
  c.root = j;
  const json& sc = object_at(c.file, j, "scenario", "", true);
  c.scenario_name = string_or(c.file, sc, "name", "scenario.");
  c.scenario_description = string_or(c.file, sc, "description", "scenario.");
  c.patient = string_or(c.file, sc, "patient", "scenario.");
  c.duration_s = number_or_nan(c.file, sc, "duration_s", "scenario.");
  const double variants = number_or_nan(c.file, j, "variants", "");
  c.variants = variants >= 1 ? static_cast<int>(std::min(variants, 1e9)) : 0;
  if (!j.contains("strategies") || !j["strategies"].is_array() || j["strategies"].empty()) {
    throw InputError(
        fmt::format("{}: key 'strategies': expected a non-empty array", c.file.string()));
  }
  std::size_t i = 0;
  for (const auto& e : j["strategies"]) {
    const std::string path = fmt::format("strategies[{}].", i++);
    if (!e.is_object()) bad_key(c.file, path, "an object", e);
    Strategy s;
    s.entry = e;
    s.name = string_or(c.file, e, "strategy", path);
    s.output = string_or(c.file, e, "output", path);
    if (s.name.empty()) {
      throw InputError(
          fmt::format("{}: key '{}strategy': expected the strategy's name", c.file.string(), path));
    }
    for (const auto& row : comparison_rows()) (void)number_or_nan(c.file, e, row.key, path);
    if (e.contains("completed") && !e["completed"].is_boolean()) {
      bad_key(c.file, path + "completed", "true or false", e["completed"]);
    }
    if (e.contains("variant_stats") && !e["variant_stats"].is_null()) {
      const std::string vpath = path + "variant_stats.";
      const json& v = object_at(c.file, e, "variant_stats", path, true);
      const double count = number_or_nan(c.file, v, "count", vpath);
      if (count >= 0) s.count = static_cast<std::size_t>(std::min(count, 1e9));
      s.share_map = number_or_nan(c.file, v, "share_map_min_above_65", vpath);
      s.share_cpo = number_or_nan(c.file, v, "share_cpo_min_above_0_6", vpath);
      s.share_completed = number_or_nan(c.file, v, "share_completed", vpath);
      const json& metrics = object_at(c.file, v, "metrics", vpath, false);
      for (const auto& [key, m] : metrics.items()) {
        const std::string mpath = fmt::format("{}metrics.{}.", vpath, key);
        if (!m.is_object()) bad_key(c.file, mpath, "an object of median, p10 and p90", m);
        s.stats[key] = {number_or_nan(c.file, m, "median", mpath),
                        number_or_nan(c.file, m, "p10", mpath),
                        number_or_nan(c.file, m, "p90", mpath)};
      }
    }
    if (!s.output.empty()) {
      const fs::path sub = subdirectory(c, s.output, path + "output");
      std::error_code ec;
      if (!fs::is_directory(sub, ec)) {
        throw InputError(fmt::format(
            "{}: key '{}output': expected the strategy's run directory {}, which does not exist",
            c.file.string(), path, sub.string()));
      }
      s.run = read_run(sub);
    }
    c.strategies.push_back(std::move(s));
  }
  if (j.contains("what_if") && !j["what_if"].is_null()) {
    if (!j["what_if"].is_array()) bad_key(c.file, "what_if", "an array", j["what_if"]);
    i = 0;
    for (const auto& e : j["what_if"]) {
      const std::string path = fmt::format("what_if[{}].", i++);
      if (!e.is_object()) bad_key(c.file, path, "an object", e);
      WhatIf w;
      w.entry = e;
      w.title = string_or(c.file, e, "title", path, "What if");
      w.strategy = string_or(c.file, e, "strategy", path);
      w.output = string_or(c.file, e, "output", path);
      w.event = string_or(c.file, e, "event", path);
      for (const auto& row : comparison_rows()) (void)number_or_nan(c.file, e, row.key, path);
      if (!w.output.empty()) {
        const fs::path sub = subdirectory(c, w.output, path + "output");
        std::error_code ec;
        if (fs::is_directory(sub, ec)) w.run = read_run(sub);
      }
      c.what_if.push_back(std::move(w));
    }
  }
  return c;
}

double entry_number(const json& e, const std::string& key) {
  if (!e.is_object() || !e.contains(key) || !e[key].is_number()) return kNaN;
  return e[key].get<double>();
}

bool is_no_support(const std::string& strategy) {
  return strategy == "none" || strategy == "unsupported" || strategy == "no-support";
}

std::string strategy_words(const std::string& strategy) {
  if (is_no_support(strategy)) return "no support device";
  std::string o;
  std::size_t start = 0;
  while (start <= strategy.size()) {
    const std::size_t plus = std::min(strategy.find('+', start), strategy.size());
    const std::string part = strategy.substr(start, plus - start);
    const std::string kind = part.substr(0, part.find(':'));
    const std::string setting =
        part.find(':') == std::string::npos ? "" : part.substr(part.find(':') + 1);
    std::string w = kind.rfind("impella", 0) == 0 ? "a micro-axial pump (" + kind + ")"
                    : kind == "iabp"              ? "an intra-aortic balloon pump"
                    : kind == "va-ecmo"           ? "VA-ECMO"
                                                  : kind;
    if (!setting.empty()) w += " at " + setting + (kind == "va-ecmo" ? " L/min" : "");
    o += (o.empty() ? "" : " with ") + w;
    start = plus + 1;
  }
  return o;
}

std::string cell(const Strategy& s, const MetricRow& row) {
  const double v = entry_number(s.entry, row.key);
  std::string o = fnum(v, row.decimals);
  if (const auto it = s.stats.find(row.key); it != s.stats.end()) {
    const auto& st = it->second;
    if (std::isfinite(st.p10) || std::isfinite(st.p90)) {
      o += fmt::format("<br><span class=\"range\">{} ({}\u2013{})</span>",
                       fnum(st.median, row.decimals), fnum(st.p10, row.decimals),
                       fnum(st.p90, row.decimals));
    }
  }
  return o;
}

std::string comparison_table(const Comparison& c) {
  std::string o =
      "<div class=\"wide\"><table class=\"compare\"><thead><tr><th>metric</th>"
      "<th>unit</th>";
  for (const auto& s : c.strategies) o += "<th>" + esc(s.name) + "</th>";
  o += "</tr></thead><tbody>\n<tr><td>completed: no collapse (MAP under 40 mmHg for over 60 s) and "
       "no error</td><td></td>";
  for (const auto& s : c.strategies) {
    const json& e = s.entry;
    o += "<td class=\"num\">" +
         std::string(!e.contains("completed") || !e["completed"].is_boolean()
                         ? "\u2014"
                         : (e["completed"].get<bool>() ? "yes" : "<b>no</b>"));
    if (e.contains("error") && e["error"].is_string()) {
      o += "<br><span class=\"range\">" + esc(e["error"].get<std::string>()) + "</span>";
    }
    if (std::isfinite(s.share_completed)) {
      o += "<br><span class=\"range\">" + percent(s.share_completed) + " of variants</span>";
    }
    o += "</td>";
  }
  o += "</tr>\n";
  for (const auto& row : comparison_rows()) {
    o += fmt::format("<tr><td title=\"{}\">{}</td><td>{}</td>", esc(row.key), esc(row.label),
                     esc(row.unit));
    for (const auto& s : c.strategies) o += "<td class=\"num\">" + cell(s, row) + "</td>";
    o += "</tr>\n";
  }
  if (c.variants > 0) {
    for (const auto& [label, share] : std::vector<std::pair<std::string, double Strategy::*>>{
             {"variants whose lowest MAP stayed above 65 mmHg", &Strategy::share_map},
             {"variants whose lowest CPO stayed above 0.6 W", &Strategy::share_cpo}}) {
      o += "<tr><td>" + esc(label) + "</td><td>%</td>";
      for (const auto& s : c.strategies) o += "<td class=\"num\">" + percent(s.*share) + "</td>";
      o += "</tr>\n";
    }
  }
  o += "</tbody></table></div>\n";
  if (c.variants > 0) {
    o += fmt::format(
        "<p>Each cell: the strategy's value for the simulated patient; below it, the median of {} "
        "variants of the patient and, in brackets, their 10th to 90th percentiles.</p>\n",
        c.variants);
  }
  return o;
}

std::string comparison_plots(const Comparison& c) {
  std::string o;
  struct Key {
    const char* key;
    const char* title;
    const char* axis;
    double threshold;
    const char* threshold_label;
  };
  const std::array<Key, 4> keys = {
      Key{"map_min_mmHg", "Lowest MAP", "lowest MAP, mean of 6 beats (mmHg)", 65, "65 mmHg"},
      Key{"lvedp_max_mmHg", "Highest LVEDP", "highest beat LVEDP (mmHg)", kNaN, ""},
      Key{"cpo_min_W", "Lowest cardiac power output", "lowest CPO, mean of 6 beats (W)", 0.6,
          "0.6 W"},
      Key{"pva_mean_ischaemia_mmHg_mL", "Pressure-volume area during ischaemia",
          "mean PVA of the ischaemic beats (mmHg mL)", kNaN, ""}};
  for (const auto& k : keys) {
    std::vector<Dot> dots;
    for (const auto& s : c.strategies) {
      Dot d;
      d.name = s.name;
      d.value = entry_number(s.entry, k.key);
      if (const auto it = s.stats.find(k.key); it != s.stats.end()) {
        d.p10 = it->second.p10;
        d.median = it->second.median;
        d.p90 = it->second.p90;
      }
      dots.push_back(d);
    }
    o += figure(dot_plot(k.title, k.axis, dots, k.threshold, k.threshold_label),
                std::string(k.title) + " per strategy: the dot is the simulated patient" +
                    (c.variants > 0 ? "; the band spans the variants' 10th to 90th percentiles "
                                      "and the tick is their median"
                                    : "") +
                    (std::isfinite(k.threshold)
                         ? std::string("; the dashed line marks ") + k.threshold_label
                         : std::string()) +
                    ".");
  }
  // MAP per beat of every strategy, overlaid.
  Plot p("MAP per beat, every strategy", "time (s)", "MAP (mmHg)");
  double duration = 0;
  for (const auto& s : c.strategies) {
    if (!s.run || !s.run->beats.count("map_mmHg")) continue;
    Series line;
    line.name = s.name;
    line.x = s.run->beat_start;
    line.y = s.run->beats.at("map_mmHg");
    p.add(std::move(line));
    duration = std::max(duration, s.run->duration_s);
  }
  for (const auto& s : c.strategies) {
    if (!s.run) continue;
    for (const auto& e : s.run->episodes) {
      p.shade(e.start_s, e.end_s, "inflation " + e.territories);
    }
    break;
  }
  if (duration > 0) p.set_x_range(0, duration);
  o += figure(p.svg(),
              "Mean arterial pressure of each beat under each strategy. Grey bands: "
              "balloon inflations.");
  return o;
}

// --- the conversation with the patient (NICE's five questions) ---

struct Answerable {  // one strategy's numbers, for the answers
  std::string name;
  double map_min = kNaN, minutes_below_65 = kNaN, cpo_min = kNaN, lvedp_max = kNaN;
  double share_map = kNaN, share_cpo = kNaN;
  std::optional<bool> completed;
  double collapse_s = kNaN;
  std::string error;  // the simulation could not go on (compare.json "error")
  std::size_t count = 0;
};

Answerable from_strategy(const Strategy& s) {
  Answerable a;
  a.name = s.name;
  a.map_min = entry_number(s.entry, "map_min_mmHg");
  a.minutes_below_65 = entry_number(s.entry, "minutes_map_below_65");
  a.cpo_min = entry_number(s.entry, "cpo_min_W");
  a.lvedp_max = entry_number(s.entry, "lvedp_max_mmHg");
  a.share_map = s.share_map;
  a.share_cpo = s.share_cpo;
  if (s.entry.contains("completed") && s.entry["completed"].is_boolean()) {
    a.completed = s.entry["completed"].get<bool>();
  }
  a.collapse_s = entry_number(s.entry, "collapse_time_s");
  a.count = s.count.value_or(0);
  if (s.entry.contains("error") && s.entry["error"].is_string()) {
    a.error = s.entry["error"].get<std::string>();
  }
  return a;
}

Answerable from_run(const Run& r) {
  Answerable a;
  a.name = r.devices.empty() ? "none" : fmt::format("{}", fmt::join(r.devices, "+"));
  const json p = r.summary.contains("procedure") && r.summary["procedure"].is_object()
                     ? r.summary["procedure"]
                     : json::object();
  a.map_min = entry_number(p, "map_min_mmHg");
  a.minutes_below_65 = entry_number(p, "minutes_map_below_65");
  a.cpo_min = entry_number(p, "cpo_min_W");
  a.lvedp_max = entry_number(p, "lvedp_max_mmHg");
  a.completed = true;
  return a;
}

std::string device_explanation(const std::vector<std::string>& kinds) {
  std::string o;
  const auto has = [&](std::string_view prefix) {
    return std::any_of(kinds.begin(), kinds.end(),
                       [&](const std::string& k) { return k.rfind(prefix, 0) == 0; });
  };
  if (has("impella")) {
    o += "<p>A micro-axial heart pump is a thin tube with a small pump inside. Under local "
         "anaesthetic it is put into an artery, usually in the groin (femoral) or below the "
         "collarbone (axillary), and guided under X-ray across the aortic valve into the main "
         "pumping chamber of the heart (the left ventricle). It draws blood from the ventricle "
         "and pushes it into the aorta, so that the heart does less work and the blood pressure "
         "is kept up while the narrowed coronary arteries are opened with balloons and stents. "
         "It is taken out at the end of the procedure, or kept for longer if the heart needs it "
         "(NICE IPG633, sections 2.1 to 2.4).</p>\n";
  }
  if (has("iabp")) {
    o += "<p>An intra-aortic balloon pump is a long balloon placed through the groin in the main "
         "artery of the chest (the descending aorta). It inflates as the heart relaxes and "
         "deflates just before it beats, which helps blood flow to the heart muscle and eases the "
         "heart's work.</p>\n";
  }
  if (has("va-ecmo")) {
    o += "<p>VA-ECMO takes blood from a large vein, passes it through a pump and an oxygenator, "
         "and returns it into an artery: it can take over much of the work of the heart and "
         "lungs.</p>\n";
  }
  return o;
}

std::string conversation_html(const std::vector<Answerable>& strategies,
                              const std::vector<std::string>& kinds, const std::string& patient,
                              const std::string& scenario, const std::vector<Episode>& episodes,
                              const std::string& what_if_html, bool single_run,
                              const std::vector<Complication>& complications) {
  std::string o = "<section id=\"conversation\">\n<h2>For the conversation with the patient</h2>\n";
  o += notice_html();
  o += "<p>NICE's information for the public on this procedure (interventional procedures "
       "guidance IPG633, 2018) asks the patient to think about five questions. The answers below "
       "are for <b>this simulated patient</b> (" +
       esc(patient) + ", scenario " + esc(scenario) +
       "); they show what the simulation predicts and what published studies report, to help a "
       "clinician prepare the conversation. They do not replace it.</p>\n";

  // 1. What does the procedure involve?
  o += "<h3>1. What does the procedure involve?</h3>\n";
  o += device_explanation(kinds);
  if (!episodes.empty()) {
    double total = 0;
    for (const auto& e : episodes) total += e.end_s - e.start_s;
    std::string list;
    for (std::size_t i = 0; i < episodes.size() && i < 8; ++i) {
      list += fmt::format("{}{} ({:.0f} s)", i ? ", " : "", episodes[i].territories,
                          episodes[i].end_s - episodes[i].start_s);
    }
    const std::size_t n = episodes.size();
    o += fmt::format(
        "<p>In this simulated procedure the balloon blocks a coronary artery {} ({} s in all: "
        "{}{}). While it is up, the heart muscle that artery feeds gets no blood and pumps less; "
        "this is when support matters most.</p>\n",
        n == 1   ? "once"
        : n == 2 ? "twice"
                 : fmt::format("{} times", n),
        fnum(total, 0), esc(list), n > 8 ? ", ..." : "");
  }
  o += "<p>NICE says the procedure should be used only with special arrangements for clinical "
       "governance, consent and audit or research, in specialised centres, with the patient "
       "selected by a multidisciplinary team; it \"can be used but only when patients have "
       "regular checks to see how well it is working or if it has caused problems\".</p>\n";

  // 2. Benefits
  o += "<h3>2. What are the possible benefits? How likely am I to get them?</h3>\n";
  o += "<p>The aim is to keep the blood pressure and the blood flow to the body steady and to "
       "ease the work of the heart while the arteries are opened, so that the procedure can be "
       "finished safely. In the simulation of this patient:</p>\n<table class=\"benefits\"><thead>"
       "<tr><th>strategy</th><th>lowest MAP (mmHg)</th><th>minutes with MAP under 65</th>"
       "<th>lowest CPO (W)</th><th>highest LVEDP (mmHg)</th><th>how likely: variants of the "
       "patient whose lowest MAP stayed above 65 mmHg</th></tr></thead><tbody>\n";
  for (const auto& s : strategies) {
    std::string likely;
    if (std::isfinite(s.share_map)) {
      likely = fmt::format("{} of {} variants", percent(s.share_map), s.count);
      if (std::isfinite(s.share_cpo)) {
        likely += fmt::format("; CPO above 0.6 W in {}", percent(s.share_cpo));
      }
    } else if (std::isfinite(s.map_min)) {
      likely = s.map_min >= 65 ? "above 65 mmHg in this one simulation (no variants run)"
                               : "fell below 65 mmHg in this simulation (no variants run)";
    } else {
      likely = "\u2014";
    }
    o += fmt::format(
        "<tr><td>{}<br><span class=\"range\">{}</span></td><td class=\"num\">{}</td><td "
        "class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
        esc(s.name), esc(strategy_words(s.name)), fnum(s.map_min, 1), fnum(s.minutes_below_65, 1),
        fnum(s.cpo_min, 2), fnum(s.lvedp_max, 1), esc(likely));
  }
  o += "</tbody></table>\n";
  // Support against none, when both are there.
  const auto none = std::find_if(strategies.begin(), strategies.end(),
                                 [](const Answerable& a) { return is_no_support(a.name); });
  if (none != strategies.end() && std::isfinite(none->map_min) && strategies.size() > 1) {
    o += "<ul>\n";
    for (const auto& s : strategies) {
      if (&s == &*none || !std::isfinite(s.map_min)) continue;
      o += fmt::format("<li>With {} the lowest MAP was {} mmHg {} than without support.</li>\n",
                       esc(s.name), fnum(std::abs(s.map_min - none->map_min), 1),
                       s.map_min >= none->map_min ? "higher" : "lower");
    }
    o += "</ul>\n";
  }
  o += "<p>In people: NICE found the evidence on how well the procedure works \"limited in "
       "quality\". In the PROTECT II trial (O'Neill et al., Circulation 2012;126:1717), major "
       "adverse events within 30 days happened in 35.1% of patients with a micro-axial pump and "
       "40.1% with a balloon pump, a difference that could have been chance.</p>\n";

  // 3. Risks
  o += "<h3>3. What are the risks or side effects? How likely are they?</h3>\n";
  o += "<p>NICE names the main safety concerns as damage to blood vessels, bleeding, damage to "
       "red blood cells (haemolysis) and damage to the heart's left ventricle: \"serious, "
       "infrequent but well-recognised\". Published rates (from groups of patients, not "
       "predictions for this patient; the simulation does not estimate them):</p>\n";
  o += complications_table(complications);
  o += "<p>Other possible problems listed in the pump's instructions for use: kidney problems, "
       "injury to the aortic valve, stroke, heart attack, limb ischaemia, a low platelet count, "
       "and death.</p>\n";

  // 4. What if it does not work or something goes wrong?
  o += "<h3>4. What happens if the procedure doesn't work or something goes wrong?</h3>\n";
  std::string failures;
  for (const auto& s : strategies) {
    if (!s.error.empty()) {
      failures +=
          fmt::format("<li>With {} the simulation stopped: {}.</li>\n", esc(s.name), esc(s.error));
    } else if (s.completed && !*s.completed) {
      failures += fmt::format(
          "<li>With {} the simulated circulation collapsed{}.</li>\n", esc(s.name),
          std::isfinite(s.collapse_s) ? fmt::format(" at {:.0f} s", s.collapse_s) : std::string());
    }
  }
  if (!failures.empty()) o += "<ul>\n" + failures + "</ul>\n";
  o += what_if_html;
  o += "<p>If the pump stops or the heart goes into a dangerous rhythm, the team stops the "
       "balloon inflation, restarts or repositions the pump, gives a shock for ventricular "
       "fibrillation, and may use other support (a balloon pump or ECMO) or stop the "
       "procedure.</p>\n";

  // 5. Alternatives
  o += "<h3>5. What happens if I don't want the procedure? Are there other treatments "
       "available?</h3>\n";
  if (single_run) {
    o += "<p>This report holds one strategy. A comparison of strategies, including no support, "
         "for the same patient and procedure (`unload compare`) puts the others beside it; "
         "the scenario library has the same left main procedure without support "
         "(scenarios/lm_pci_unsupported.toml).</p>\n";
  } else {
    o += "<p>The other ways of supporting this simulated patient during the same procedure, "
         "compared above:</p>\n<ul>\n";
    for (const auto& s : strategies) {
      o += fmt::format("<li><b>{}</b> ({}): lowest MAP {} mmHg, {} min under 65 mmHg.</li>\n",
                       esc(s.name), esc(strategy_words(s.name)), fnum(s.map_min, 1),
                       fnum(s.minutes_below_65, 1));
    }
    o += "</ul>\n";
    if (none == strategies.end()) {
      o += "<p>No run without support is in this comparison.</p>\n";
    }
  }
  o += "<p>Other support devices named by NICE are the intra-aortic balloon pump and "
       "extracorporeal pumps (such as ECMO). Other treatments instead of PCI (heart surgery, "
       "medicines alone) are for the heart team to discuss; they are not simulated here.</p>\n";
  o += notice_html();
  o += "</section>\n";
  return o;
}

// What goes wrong in a single run: its own faults and VF, with the lowest MAP after each.
std::string run_what_if_html(const Run& run) {
  std::vector<const Mark*> trouble;
  for (const auto& m : run.marks) {
    if (m.trouble) trouble.push_back(&m);
  }
  if (trouble.empty()) return {};
  std::string o = "<p>This run simulates what can go wrong:</p>\n<ul>\n";
  const auto map = run.beats.find("map_mmHg");
  for (const Mark* m : trouble) {
    double low = kNaN;
    if (map != run.beats.end()) {
      for (std::size_t k = 0; k < run.beat_start.size(); ++k) {
        if (run.beat_start[k] >= m->t_s && run.beat_start[k] <= m->t_s + 60 &&
            std::isfinite(map->second[k]) && !(low <= map->second[k])) {
          low = map->second[k];
        }
      }
    }
    std::size_t alarms = 0;
    for (const auto& a : run.alarms) {
      if (a.event == "raised" && a.t_s >= m->t_s && a.t_s <= m->t_s + 30) ++alarms;
    }
    o += fmt::format(
        "<li>At {:.0f} s, {}: the lowest beat MAP in the next minute was {} mmHg{}."
        "</li>\n",
        m->t_s, esc(m->label), fnum(low, 1),
        run.console ? fmt::format("; the console raised {} alarm{} within 30 s", alarms,
                                  alarms == 1 ? "" : "s")
                    : std::string());
  }
  o += "</ul>\n";
  return o;
}

const char* const kNoWhatIf =
    "<p>No run of a pump stop or of ventricular fibrillation is in this directory. The scenario "
    "library simulates them: scenarios/console_faults_impella_cp.toml (a kinked purge line, the "
    "motor failing and restarting, the pump slipping into the ventricle, with the console's "
    "alarms) and scenarios/lrv_pci_vf_impella_cp.toml (ventricular fibrillation during the "
    "inflation of a last remaining vessel, and the shock).</p>\n";

std::string comparison_what_if_html(const Comparison& c) {
  if (c.what_if.empty()) return kNoWhatIf;
  std::string o;
  for (const auto& w : c.what_if) {
    const json& e = w.entry;
    o += "<div class=\"what-if\">\n<h4>" + esc(w.title) + "</h4>\n";
    o += fmt::format("<p>Strategy {}; event: {}.", esc(w.strategy), esc(w.event));
    if (e.contains("completed") && e["completed"].is_boolean()) {
      o += e["completed"].get<bool>() ? " The simulated circulation held to the end of the run."
                                      : " <b>The simulated circulation collapsed</b>";
      const double collapse = entry_number(e, "collapse_time_s");
      if (!e["completed"].get<bool>()) {
        o += std::isfinite(collapse) ? fmt::format(" at {:.0f} s.", collapse) : ".";
      }
    }
    o += "</p>\n<table class=\"metrics\"><tbody>\n";
    for (const auto& row : comparison_rows()) {
      const double v = entry_number(e, row.key);
      if (!std::isfinite(v)) continue;
      o += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n", esc(row.label),
                       fnum(v, row.decimals), esc(row.unit));
    }
    o += "</tbody></table>\n";
    if (w.run) {
      o += figure(
          overview_plot(*w.run, w.run->pressure, w.title + ": pressures", "pressure (mmHg)", true),
          "Pressures of the what-if run. " + shading_note(*w.run));
      if (!w.run->device.empty()) {
        std::vector<Wanted> flows;
        for (const auto& d : w.run->device) {
          if (d.unit == "L/min") flows.push_back(d);
        }
        o += figure(overview_plot(*w.run, flows, w.title + ": pump flow", "flow (L/min)", false),
                    "Pump flow of the what-if run. " + shading_note(*w.run));
      }
      o += alarms_html(*w.run);
    }
    o += "</div>\n";
  }
  return o;
}

// --- the page ---

const char* const kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0 auto;max-width:1200px;padding:0 16px 40px;color:#1b1b1b;line-height:1.45}
header{border-bottom:2px solid #1f5fa8;margin-bottom:12px}
h1{font-size:1.6em;margin:16px 0 4px}h2{border-bottom:1px solid #ccc;margin-top:32px}
.notice{background:#fff4d6;border-left:4px solid #d39e00;padding:6px 10px;font-size:.92em}
.banner{font-weight:600;font-size:1em}
table{border-collapse:collapse;margin:8px 0;font-size:.9em}
td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f0f3f7}td.num{text-align:right;white-space:nowrap}
.range{color:#555;font-size:.85em}.wide{overflow-x:auto}
table.compare{font-size:.8em}table.compare td:first-child{min-width:15em}
.source{font-size:.85em;color:#333}
figure{margin:10px 0 18px}figcaption{font-size:.85em;color:#444;max-width:920px}
svg.plot{max-width:100%;height:auto;background:#fff;font-size:11px;font-family:inherit}
svg .title{font-weight:600;font-size:13px}svg .label{font-size:12px}
svg .grid{stroke:#e3e3e3;stroke-width:1}svg .frame{fill:none;stroke:#888}
svg .line{fill:none;stroke-width:1.4}svg .envelope{fill-opacity:.28;stroke-width:.6}
svg .shade{fill:#9aa4ad;fill-opacity:.22}svg .mark{stroke:#555;stroke-dasharray:3 3}
svg .mark.trouble{stroke:#c0392b;stroke-width:1.5}svg .threshold{stroke:#c0392b;stroke-dasharray:5 4}
svg .dot{fill:#1f5fa8}svg .band{fill:#1f5fa8;fill-opacity:.25}svg .median{stroke:#1f5fa8;stroke-width:2}
.loops{display:flex;flex-wrap:wrap;gap:8px}.loops figure{width:450px;margin:4px 0}
.no-data{color:#777;font-style:italic}
tr.critical td{background:#fde8e6}tr.serious td{background:#fef0e0}
footer{margin-top:40px;border-top:1px solid #ccc;font-size:.85em;color:#444}
@media print{.notice{break-inside:avoid}section{break-before:auto}}
)";

std::string page(const std::string& title, const std::string& subtitle, const std::string& body,
                 const std::string& toc) {
  std::string o =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      // No request may leave the file: nothing but inline style and data is allowed.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'; img-src data:\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      esc(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<header>\n<h1>" +
      esc(title) + "</h1>\n<p>" + subtitle + "</p>\n<p class=\"notice banner\">" + esc(kNotice) +
      " It is not clinical advice.</p>\n<nav>" + toc + "</nav>\n</header>\n<main>\n" + body +
      "</main>\n<footer>\n<p class=\"notice\">" + esc(kNotice) + "</p>\n<p>" +
      esc(fmt::format("Made by unload {} (commit {}).", unload_version(), git_commit())) +
      "</p>\n</footer>\n</body>\n</html>\n";
  return o;
}

std::string run_report(const fs::path& dir) {
  const Run run = read_run(dir);
  const auto complications = read_complications();
  std::string body = run_sections(run, "run", "The run", 2);
  body += conversation_html(
      {from_run(run)}, run.devices, run.patient, run.scenario_name, run.episodes,
      run_what_if_html(run).empty() ? kNoWhatIf : run_what_if_html(run), true, complications);
  const std::string toc =
      "<a href=\"#run\">The run</a> \u00b7 <a href=\"#conversation\">For the "
      "conversation with the patient</a>";
  return page(
      "unload report: " + run.scenario_name,
      "Run directory " + esc(committed_path(dir).string()) + "; patient " + esc(run.patient), body,
      toc);
}

std::string comparison_report(const fs::path& dir) {
  const Comparison c = read_comparison(dir);
  const auto complications = read_complications();
  std::string body = "<section id=\"comparison\">\n<h2>Strategies compared</h2>\n" + notice_html();
  body += "<p>Scenario <b>" + esc(c.scenario_name) + "</b>" +
          (c.scenario_description.empty() ? "" : ": " + esc(c.scenario_description)) +
          "; patient <b>" + esc(c.patient) + "</b>; " +
          (std::isfinite(c.duration_s) ? fmt::format("{:.0f} s simulated", c.duration_s)
                                       : std::string("duration not given")) +
          (c.variants > 0 ? fmt::format("; {} variants of the patient per strategy", c.variants)
                          : std::string("; no variants")) +
          ".</p>\n";
  body += "<h3>The table</h3>\n" + comparison_table(c);
  body += "<h3>The plots</h3>\n" + comparison_plots(c);
  body += "</section>\n";
  std::string toc = "<a href=\"#comparison\">Strategies compared</a>";
  std::vector<std::string> kinds;
  std::vector<Episode> episodes;
  std::size_t i = 0;
  for (const auto& s : c.strategies) {
    ++i;
    if (!s.run) continue;
    const std::string id = fmt::format("strategy-{}", i);
    body += run_sections(*s.run, id, "Strategy " + s.name, 2);
    toc += " \u00b7 <a href=\"#" + id + "\">" + esc(s.name) + "</a>";
    for (const auto& k : s.run->devices) {
      if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
    }
    if (episodes.empty()) episodes = s.run->episodes;
  }
  std::vector<Answerable> answers;
  for (const auto& s : c.strategies) answers.push_back(from_strategy(s));
  body += conversation_html(answers, kinds, c.patient, c.scenario_name, episodes,
                            comparison_what_if_html(c), false, complications);
  toc += " \u00b7 <a href=\"#conversation\">For the conversation with the patient</a>";
  return page("unload report: comparison of strategies, " + c.scenario_name,
              "Comparison directory " + esc(committed_path(dir).string()), body, toc);
}

}  // namespace

fs::path default_report_path(const fs::path& run_dir) { return run_dir / "report.html"; }

std::string report_html(const fs::path& run_dir) {
  std::error_code ec;
  if (!fs::exists(run_dir, ec)) {
    throw InputError(
        fmt::format("{}: no such directory; expected the output directory of `unload "
                    "run` or of a comparison",
                    run_dir.string()));
  }
  if (!fs::is_directory(run_dir, ec)) {
    throw InputError(
        fmt::format("{}: not a directory; expected the output directory of `unload "
                    "run` or of a comparison",
                    run_dir.string()));
  }
  if (fs::exists(run_dir / "compare.json", ec)) return comparison_report(run_dir);
  return run_report(run_dir);
}

void write_report(const fs::path& run_dir, const fs::path& html_out) {
  write_report_html(report_html(run_dir), html_out);
}

void write_report_html(const std::string& html, const fs::path& html_out) {
  const fs::path tmp = fs::path(html_out.string() + fmt::format(".partial-{}", ::getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw InputError(
          fmt::format("{}: cannot be written: {}", html_out.string(), std::strerror(errno)));
    }
    out << html;
    out.close();
    if (!out) {
      const int error = errno;
      std::error_code ec;
      fs::remove(tmp, ec);
      throw std::runtime_error(
          fmt::format("cannot write {}: {}", html_out.string(), std::strerror(error)));
    }
  }
  std::error_code ec;
  fs::rename(tmp, html_out, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw std::runtime_error(fmt::format("cannot write {}: {}", html_out.string(), ec.message()));
  }
}

}  // namespace unload::io
