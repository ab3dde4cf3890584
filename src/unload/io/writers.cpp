#include "unload/io/writers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <span>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "unload/core/build_info.hpp"
#include "unload/core/error.hpp"
#include "unload/core/fingerprint.hpp"

namespace unload::io {

namespace fs = std::filesystem;

namespace detail {

// A CSV file written one row at a time. The row is formatted into a buffer that keeps its
// capacity, so that writing a row allocates nothing once the first has been written.
class CsvFile {
 public:
  explicit CsvFile(const fs::path& path) : path_(path), file_(std::fopen(path.c_str(), "wb")) {
    if (!file_) fail("cannot create");
    std::setvbuf(file_, nullptr, _IOFBF, 1 << 16);
    row_.reserve(1024);
  }
  ~CsvFile() {
    if (file_) std::fclose(file_);
  }
  CsvFile(const CsvFile&) = delete;
  CsvFile& operator=(const CsvFile&) = delete;

  void cell(std::string_view text) {
    separate();
    row_.append(text);
  }
  void cell(int n) {
    separate();
    fmt::format_to(std::back_inserter(row_), "{}", n);
  }
  // NaN: the value does not apply (an empty field). Numbers as printf's %.9g (%.12g for times),
  // by std::to_chars, which the standard defines to give exactly that: the same text as
  // fmt's {:.9g} (compared on 7 million values, random bit patterns and edge cases included) in
  // about 30% less time, which is most of what writing waveforms.csv costs.
  void cell(double v) {
    separate();
    if (!std::isnan(v)) number(v, 9);
  }
  void time(double t_s) {
    separate();
    number(t_s, 12);
  }

  void end_row() {
    row_.push_back('\n');
    if (std::fwrite(row_.data(), 1, row_.size(), file_) != row_.size()) fail("cannot write");
    row_.clear();
  }

  void close() {
    std::FILE* f = std::exchange(file_, nullptr);
    if (f && std::fclose(f) != 0) fail("cannot write");
  }

 private:
  // The separator before a cell: none before the first cell of a row. A row's first cell is
  // never empty (t_s, beat), so an empty row_ means "at the start of the row".
  void separate() {
    if (!row_.empty()) row_.push_back(',');
  }
  void number(double v, int significant) {
    char text[32];
    const auto r =
        std::to_chars(text, text + sizeof text, v, std::chars_format::general, significant);
    row_.append(text, r.ptr);
  }
  [[noreturn]] void fail(std::string_view what) const {
    throw std::runtime_error(fmt::format("{} {}: {}", what, path_.string(), std::strerror(errno)));
  }

  fs::path path_;
  std::FILE* file_;
  std::string row_;
};

}  // namespace detail

// --- waveforms.csv ---

WaveformCsvWriter::WaveformCsvWriter(const fs::path& file, const sim::Model& model)
    : csv_(std::make_unique<detail::CsvFile>(file)) {
  csv_->cell("t_s");
  for (const auto& column : physio::observable_columns()) csv_->cell(column.name);
  for (const auto& column : model.device_columns()) {
    csv_->cell(column.name);
    device_readings_.push_back(column.reading);
  }
  csv_->end_row();
}

WaveformCsvWriter::~WaveformCsvWriter() = default;

void WaveformCsvWriter::on_sample(const physio::Observables& sample) {
  csv_->time(sample.t_s);
  for (const auto& column : physio::observable_columns()) csv_->cell(column.get(sample));
  for (const std::size_t r : device_readings_) csv_->cell(sample.device_readings[r]);
  csv_->end_row();
}

void WaveformCsvWriter::close() { csv_->close(); }

// --- beats.csv ---

BeatCsvWriter::BeatCsvWriter(const fs::path& file, const sim::Model& model)
    : csv_(std::make_unique<detail::CsvFile>(file)),
      device_metrics_(model.device_metrics().size()) {
  csv_->cell("beat");
  csv_->cell("start_s");
  for (const auto& field : sim::metric_fields()) csv_->cell(field.name);
  for (const auto& m : model.device_metrics()) csv_->cell(m.key);
  csv_->end_row();
}

BeatCsvWriter::~BeatCsvWriter() = default;

AlarmCsvWriter::AlarmCsvWriter(const fs::path& file, const sim::Model& model)
    : csv_(std::make_unique<detail::CsvFile>(file)) {
  for (const auto& d : model.devices()) device_kinds_.emplace_back(d.block->kind());
  for (const char* h : {"time_s", "device", "alarm", "priority", "event", "text"}) csv_->cell(h);
  csv_->end_row();
}

AlarmCsvWriter::~AlarmCsvWriter() = default;

void AlarmCsvWriter::on_console_message(const control::ConsoleMessage& m) {
  using control::MessageKind;
  if (m.kind != MessageKind::alarm_raised && m.kind != MessageKind::alarm_acknowledged &&
      m.kind != MessageKind::alarm_muted && m.kind != MessageKind::alarm_cleared) {
    return;
  }
  csv_->time(m.t_s);
  csv_->cell(m.device < device_kinds_.size() ? std::string_view(device_kinds_[m.device]) : "");
  csv_->cell(m.name);
  csv_->cell(control::priority_name(m.priority));
  csv_->cell(control::message_kind_name(m.kind));
  // One line per row: a line break in the text becomes a space.
  std::string text(m.text);
  std::replace(text.begin(), text.end(), '\n', ' ');
  csv_->cell(csv_field(text));
  csv_->end_row();
}

void AlarmCsvWriter::close() { csv_->close(); }

void BeatCsvWriter::on_beat(const sim::BeatMetrics& beat) {
  csv_->cell(beat.beat);
  csv_->time(beat.start_s);
  for (const auto& field : sim::metric_fields()) csv_->cell(field.get(beat));
  for (std::size_t i = 0; i < device_metrics_; ++i) csv_->cell(beat.device[i]);
  csv_->end_row();
}

void BeatCsvWriter::close() { csv_->close(); }

// --- fan-out ---

void ObserverGroup::on_sample(const physio::Observables& sample) {
  for (auto* o : observers_) o->on_sample(sample);
}

void ObserverGroup::on_beat(const sim::BeatMetrics& beat) {
  for (auto* o : observers_) o->on_beat(beat);
}

void ObserverGroup::on_event(const sim::Event& event) {
  for (auto* o : observers_) o->on_event(event);
}

void ObserverGroup::on_command(double t_s, const Command& command) {
  for (auto* o : observers_) o->on_command(t_s, command);
}

// --- summary.json ---

std::string json_text(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

void check_recordable(const Scenario& sc) {
  std::vector<fs::path> paths = {fs::absolute(sc.file)};
  const fs::path p(sc.patient_reference);
  if (p.extension() == ".toml" || sc.patient_reference.find('/') != std::string::npos) {
    paths.push_back(fs::absolute(sc.file.parent_path() / p));
  }
  if (sc.start == StartKind::state_file) paths.push_back(fs::absolute(sc.start_state));
  for (const auto& path : paths) {
    try {
      (void)nlohmann::json(path.string()).dump();
    } catch (const nlohmann::json::type_error&) {
      throw InputError(fmt::format(
          "{}: the path is not valid UTF-8, and summary.json must record it (to run the run "
          "again); rename it",
          path.string()));
    }
  }
}

RunSummary summarise_run(const Scenario& scenario, const PreparedRun& run,
                         const sim::Session& session, const sim::ProcedureRecorder& procedure,
                         double wall_time_s) {
  RunSummary s;
  s.scenario = &scenario;
  s.run = &run;
  s.simulated_s = session.time();
  s.beats = session.completed_beats();
  const auto recent = session.recent_beats();
  const auto n = std::min<std::size_t>(recent.size(), kSummaryBeats);
  s.averaged_beats = static_cast<int>(n);
  s.metrics = sim::average(recent.subspan(recent.size() - n));
  s.integrator_stats = session.integrator_stats();
  s.wall_time_s = wall_time_s;
  s.procedure = procedure.result(session.time());
  s.ffr = procedure.ffr_readings(session.time());
  s.rhythm = session.rhythm();
  s.vf_onset_s = session.vf_onset_s();
  return s;
}

nlohmann::json procedure_json(const sim::ProcedureMetrics& m) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& field : sim::procedure_fields()) {
    const double v = field.get(m);
    out[std::string(field.name)] = std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
  }
  return out;
}

namespace {
constexpr std::array<OutputKey, 7> kFfrKeys{{
    {"drug", "", "\"adenosine\""},
    {"start_s", "s", "start of the part of the infusion this reading covers"},
    {"end_s", "s",
     "end of that part (the infusion's stop, a change of rate, a coronary event or "
     "the run's end)"},
    {"dose_mcg_kg_min", "mcg/kg/min", "the infusion rate"},
    {"from_s", "s", "beats starting from here are read"},
    {"beats", "1", "beats averaged (0: no reading)"},
    {"pd_pa", "1",
     "per territory (LAD, LCx, RCA): mean Pd/Pa of its pressure wire (1 without a lesion), the "
     "FFR; null with no beat read"},
}};
}  // namespace

std::span<const OutputKey> ffr_keys() { return kFfrKeys; }

nlohmann::json ffr_json(const std::vector<sim::FfrReading>& readings) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : readings) {
    nlohmann::json pd_pa = nlohmann::json::object();
    for (std::size_t k = 0; k < physio::territory_count; ++k) {
      const double v = r.pd_pa[k];
      pd_pa[std::string(physio::territory_labels[k])] =
          std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
    }
    // In ffr_keys() order, with its names (`unload list` documents these keys from there).
    const std::array<nlohmann::json, kFfrKeys.size()> values{
        "adenosine", r.start_s, r.end_s, r.dose_mcg_kg_min, r.from_s, r.beats, std::move(pd_pa)};
    nlohmann::json reading = nlohmann::json::object();
    for (std::size_t i = 0; i < kFfrKeys.size(); ++i)
      reading[std::string(kFfrKeys[i].key)] = values[i];
    out.push_back(std::move(reading));
  }
  return out;
}

nlohmann::json console_display_json(const control::ImpellaConsole& c) {
  const auto d = c.display();
  const auto& e = d.estimates;
  const auto number = [](bool valid, double v) {
    return valid && std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  };
  nlohmann::json displayed = nlohmann::json::array();
  for (std::size_t i = 0; i < c.alarms().size(); ++i) {
    if (c.alarms().displayed(i)) displayed.push_back(c.alarms().spec(i).name);
  }
  return {{"pump", c.config().pump.display_name},
          {"mode", c.mode_text()},
          {"set_speed_rpm", d.set_speed_rpm},
          {"displayed_flow_L_min", number(e.flow_valid, e.flow_L_min)},
          {"lvedp_estimate_mmHg", number(e.lvedp_valid, e.lvedp_mmHg)},
          {"map_estimate_mmHg", number(e.map_valid, e.map_mmHg)},
          {"cpo_estimate_W", number(e.cpo_valid, e.cpo_W)},
          {"placement", control::placement_name(e.placement)},
          {"alarms_displayed", displayed}};
}

nlohmann::json metrics_json(const sim::BeatMetrics& m, const sim::Model& model) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& field : sim::metric_fields()) out[std::string(field.name)] = field.get(m);
  const auto keys = model.device_metrics();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const double v = m.device[i];
    out[keys[i].key] = std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
  }
  return out;
}

namespace {

nlohmann::json scenario_json(const Scenario& sc) {
  nlohmann::json overrides = nlohmann::json::object();
  for (const auto& o : sc.overrides) {
    overrides[o.key] =
        o.key == "baroreflex.enabled" ? nlohmann::json(o.value != 0.0) : nlohmann::json(o.value);
  }
  return {{"name", sc.name},
          {"file", sc.file.string()},
          {"description", sc.description},
          {"patient", sc.patient_reference},
          {"duration_s", sc.duration_s},
          {"output_rate_Hz", sc.output_rate_Hz},
          {"start", to_string(sc.start)},
          {"overrides", overrides}};
}

nlohmann::json start_json(const StartReport& r) {
  nlohmann::json j = {{"kind", to_string(r.kind)}, {"description", r.text()}};
  if (r.kind == StartKind::steady) {
    j["beats_to_steady"] = r.beats_to_steady;
    j["steady_state_reached"] = r.steady_state_reached;
    j["steady_state_oscillating"] = r.steady_state_oscillating;
    j["wall_time_s"] = r.wall_time_s;
    // The stenoses and infusions it was reached with (a scenario's lasting inputs at t = 0).
    nlohmann::json stenoses = nlohmann::json::object(), drugs = nlohmann::json::object();
    for (std::size_t k = 0; k < physio::territory_count; ++k) {
      const double f = r.standing.coronary_inflow_fraction[k];
      if (f != 1.0) stenoses[std::string(physio::territory_labels[k])] = f;
    }
    for (std::size_t d = 0; d < physio::drug_count; ++d) {
      const double dose = r.standing.drug_dose[d];
      if (dose != 0.0) drugs[std::string(physio::drug_names[d])] = dose;
    }
    j["standing_stenoses"] = stenoses;
    j["standing_drugs_mcg_kg_min"] = drugs;
  }
  if (r.kind == StartKind::state_file) {
    j["file"] = fs::absolute(r.file).lexically_normal().string();
    j["state_fingerprint"] = to_hex16(r.state_fingerprint);
    j["same_model"] = r.exact;
  }
  return j;
}

// Every setting of every device by name, as numbers (what the device received at t = 0).
nlohmann::json device_settings_json(const sim::Model& model,
                                    const std::vector<physio::DeviceSettings>& settings,
                                    const std::vector<sim::ConsoleBinding>& consoles) {
  nlohmann::json out = nlohmann::json::array();
  const auto devices = model.devices();
  for (std::size_t k = 0; k < devices.size(); ++k) {
    const auto& block = *devices[k].block;
    nlohmann::json values = nlohmann::json::object();
    const auto specs = block.setting_specs();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      values[std::string(specs[i].name)] = settings[k].value[i];
    }
    bool console = false;
    for (const auto& c : consoles) console = console || c.device == k;
    out.push_back({{"kind", block.kind()},
                   {"console", console ? "operator console" : "none"},
                   {"parameter_fingerprint", to_hex16(block.parameter_fingerprint())},
                   {"settings", values}});
  }
  return out;
}

// The timeline as a scenario writes it: time, device, setting = value.
nlohmann::json events_json(const sim::Model& model, const Scenario& sc) {
  // Device events, then balloons and stents as written; merged in time order.
  std::vector<std::pair<double, nlohmann::json>> timed;
  for (const auto& se : sc.events) {
    const auto& e = se.event;
    // Faults, balloons, stents, no-reflows, drugs, fluids and bleeds: from their actions as
    // written, below.
    if (se.from_fault) continue;
    if (e.kind == sim::EventKind::coronary_inflow || e.kind == sim::EventKind::infusion_rate ||
        e.kind == sim::EventKind::bleeding_rate || e.kind == sim::EventKind::drug_dose ||
        e.kind == sim::EventKind::coronary_microvascular) {
      continue;
    }
    if (e.kind == sim::EventKind::rhythm) {
      const auto r = static_cast<physio::Rhythm>(e.device);
      nlohmann::json j = {{"time", e.time_s}, {"rhythm", std::string(physio::rhythm_name(r))}};
      if (physio::takes_rate(r)) j["rate"] = e.value;
      timed.emplace_back(e.time_s, std::move(j));
      continue;
    }
    if (e.kind == sim::EventKind::defibrillation) {
      timed.emplace_back(e.time_s, nlohmann::json{{"time", e.time_s}, {"defibrillate", true}});
      continue;
    }
    if (e.kind == sim::EventKind::console_input) continue;  // from console_actions, below
    const auto& block = *model.devices()[e.device].block;
    timed.emplace_back(
        e.time_s, nlohmann::json{{"time", e.time_s},
                                 {"device", block.kind()},
                                 {std::string(block.setting_specs()[e.setting].name), e.value}});
  }
  for (const auto& a : sc.coronary) {
    nlohmann::json j = {{"time", a.time_s}};
    if (a.stent) {
      j["stent"] = a.territory;
    } else if (a.stenosis) {
      j["stenosis"] = a.territory;
      j["residual"] = a.residual;
    } else {
      j[a.no_reflow ? "no_reflow" : "balloon"] = a.territory;
      j["duration"] = a.duration_s;
      j["residual"] = a.residual;
    }
    timed.emplace_back(a.time_s, std::move(j));
  }
  for (const auto& a : sc.console_actions) {
    nlohmann::json j = {{"time", a.time_s}, {"device", a.device}};
    if (!a.input.empty()) j["console"] = a.input;
    if (!a.check.empty()) j["check"] = a.check;
    if (!a.by.empty()) j["by"] = a.by;
    timed.emplace_back(a.time_s, std::move(j));
  }
  for (const auto& a : sc.drugs) {
    timed.emplace_back(a.time_s,
                       nlohmann::json{{"time", a.time_s}, {"drug", a.drug}, {"dose", a.dose}});
  }
  for (const auto& a : sc.fluids) {
    timed.emplace_back(
        a.time_s,
        nlohmann::json{{"time", a.time_s}, {"fluid_mL", a.volume_mL}, {"over_s", a.over_s}});
  }
  for (const auto& a : sc.bleeds) {
    nlohmann::json j = {
        {"time", a.time_s}, {"bleeding_mL_min", a.rate_mL_min}, {"duration", a.duration_s}};
    if (!a.site.empty()) j["site"] = a.site;
    timed.emplace_back(a.time_s, std::move(j));
  }
  for (const auto& a : sc.faults) {
    nlohmann::json j = {{"time", a.time_s}, {a.cleared ? "fault_cleared" : "fault", a.fault}};
    if (!a.device.empty()) j["device"] = a.device;
    if (!a.cleared && a.fault == "hypovolaemia") {
      j["volume_mL"] = a.volume_mL;
      j["over_s"] = a.over_s;
    }
    if (!a.cleared && a.fault == "purge_kink") j["occlusion"] = a.occlusion;
    timed.emplace_back(a.time_s, std::move(j));
  }
  std::stable_sort(timed.begin(), timed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  nlohmann::json out = nlohmann::json::array();
  for (auto& [t, j] : timed) out.push_back(std::move(j));
  return out;
}

// The scenario again, resolved, in the form load_scenario() reads (a .json file's "rerun").
nlohmann::json rerun_json(const RunSummary& s) {
  const Scenario& sc = *s.scenario;
  const PreparedRun& run = *s.run;
  const sim::Model& model = *run.model;
  nlohmann::json scenario = {{"patient", sc.patient_reference},
                             {"duration", sc.duration_s},
                             {"output_rate", sc.output_rate_Hz},
                             {"description", sc.description}};
  // A preset given as a path is kept absolute, so that the summary can be run from anywhere.
  const fs::path p(sc.patient_reference);
  if (p.extension() == ".toml" || sc.patient_reference.find('/') != std::string::npos) {
    scenario["patient"] = fs::absolute(sc.file.parent_path() / p).lexically_normal().string();
  }
  if (run.bindings.empty() &&
      std::any_of(model.devices().begin(), model.devices().end(),
                  [](const physio::AttachedDevice& d) { return has_console(d.block->kind()); })) {
    scenario["consoles"] = false;  // the run was made without consoles (--no-console)
  }
  if (sc.start == StartKind::state_file) {
    scenario["start_state"] = fs::absolute(sc.start_state).lexically_normal().string();
    scenario["start_state_fingerprint"] = to_hex16(run.report.state_fingerprint);
  } else {
    scenario["start"] = to_string(sc.start);
  }
  nlohmann::json overrides = nlohmann::json::object();
  for (const auto& o : sc.overrides) {
    overrides[o.key] =
        o.key == "baroreflex.enabled" ? nlohmann::json(o.value != 0.0) : nlohmann::json(o.value);
  }
  nlohmann::json parameters = nlohmann::json::object();
  physio::PatientParameters copy = sc.patient;
  for (const auto& spec : physio::parameter_specs()) parameters[spec.key] = spec.field(copy);
  parameters["baroreflex.enabled"] = sc.patient.baroreflex.enabled;
  nlohmann::json devices = nlohmann::json::array();
  const nlohmann::json settings = device_settings_json(model, run.device_settings, run.bindings);
  for (std::size_t k = 0; k < settings.size(); ++k) {
    nlohmann::json table = settings[k]["settings"];
    table["kind"] = settings[k]["kind"];
    // A pump whose console started in AUTO: no speed, so that the run made again starts in AUTO
    // too (a speed given is the operator's level).
    const bool console = std::any_of(run.bindings.begin(), run.bindings.end(),
                                     [k](const auto& b) { return b.device == k; });
    if (console && !(k < run.speed_given.size() && run.speed_given[k])) table.erase("speed_rpm");
    devices.push_back(table);
  }
  nlohmann::json out = {{"scenario", scenario},
                        {"numerics", {{"integrator", integrator_name(sc.integrator)}}},
                        {"patient_parameters", parameters}};
  if (!overrides.empty()) out["overrides"] = overrides;
  if (!devices.empty()) out["devices"] = devices;
  if (!sc.events.empty()) out["events"] = events_json(model, sc);
  return out;
}

nlohmann::json integrator_json(const RunSummary& s) {
  const auto kind = s.scenario->integrator;
  return {{"name", integrator_name(kind)},
          {"method", sim::to_string(kind)},
          {"steps", s.integrator_stats.steps},
          {"rejected_steps", s.integrator_stats.rejected_steps},
          {"rhs_evaluations", s.integrator_stats.rhs_evaluations}};
}

}  // namespace

// The consoles at the end of the run: mode, estimates, alarms raised (null without a console).
nlohmann::json console_json(const RunSummary& s) {
  if (s.run->consoles.empty()) return nullptr;
  nlohmann::json consoles = nlohmann::json::array();
  for (std::size_t k = 0; k < s.run->consoles.size(); ++k) {
    const auto& c = *s.run->consoles[k];
    consoles.push_back(console_display_json(c));
  }
  return {{"alarms_critical", s.alarms_raised[2]},
          {"alarms_serious", s.alarms_raised[1]},
          {"alarms_advisory", s.alarms_raised[0]},
          {"at_end", consoles}};
}

void write_summary_json(const fs::path& file, const RunSummary& s) {
  const sim::Model& model = *s.run->model;
  nlohmann::json kinds = nlohmann::json::array();
  for (const auto& d : model.devices()) kinds.push_back(d.block->kind());
  const nlohmann::json summary = {
      {"notice", kSimulationNotice},
      {"unload_version", unload_version()},
      {"git_commit", git_commit()},
      {"build_date", build_date()},
      {"patient", s.scenario->patient.name},
      {"patient_description", s.scenario->patient.description},
      {"scenario", scenario_json(*s.scenario)},
      {"start", start_json(s.run->report)},
      {"devices", kinds},
      {"device_settings", device_settings_json(model, s.run->device_settings, s.run->bindings)},
      {"events", events_json(model, *s.scenario)},
      {"model_fingerprint", to_hex16(model.fingerprint())},
      {"duration_s", s.simulated_s},
      {"beats", s.beats},
      {"averaged_beats", s.averaged_beats},
      {"metrics", s.averaged_beats > 0 ? metrics_json(s.metrics, model) : nlohmann::json(nullptr)},
      {"procedure", procedure_json(s.procedure)},
      {"ffr", ffr_json(s.ffr)},
      {"integrator", integrator_json(s)},
      {"rhythm",
       {{"at_end", std::string(physio::rhythm_name(s.rhythm))},
        {"last_vf_onset_s",
         s.vf_onset_s >= 0 ? nlohmann::json(s.vf_onset_s) : nlohmann::json(nullptr)}}},
      {"console", console_json(s)},
      {"wall_time_s", s.wall_time_s},
      {"real_time_factor", s.wall_time_s > 0 ? s.simulated_s / s.wall_time_s : 0.0},
      {"rerun", rerun_json(s)},
  };
  std::ofstream out(file, std::ios::binary);
  out << json_text(summary, 2) << '\n';
  out.close();
  if (!out) {
    throw std::runtime_error(
        fmt::format("cannot write {}: {}", file.string(), std::strerror(errno)));
  }
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

}  // namespace unload::io
