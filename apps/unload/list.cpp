// unload list: what unload knows, from the registries the code itself uses (so the list cannot
// drift from the program): patients, devices with their settings (units, ranges, accepted words),
// readings and metrics, the beat metrics, the waveform columns, and the scenario keys.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "unload/core/signals.hpp"
#include "unload/devices/registry.hpp"
#include "unload/io/devices.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/run_setup.hpp"
#include "unload/io/scenario.hpp"
#include "unload/io/writers.hpp"
#include "unload/physio/circulation.hpp"
#include "unload/sim/beat_metrics.hpp"
#include "unload/sim/procedure_metrics.hpp"

namespace unload::cli {

namespace {

using nlohmann::json;

json patients_json() {
  json out = json::array();
  for (const auto& name : io::preset_names()) {
    const auto p = io::load_preset(name);
    out.push_back({{"name", name},
                   {"description", p.description},
                   {"file", (io::data_directory() / "patients" / (name + ".toml")).string()}});
  }
  return out;
}

json devices_json() {
  json out = json::array();
  for (const auto& type : devices::device_types()) {
    const auto block = io::load_device(type.kind);
    json settings = json::array();
    for (const auto& s : block->setting_specs()) {
      json words = json::array();
      for (const auto& w : type.words) {
        if (w.setting == s.name) words.push_back(w.word);
      }
      settings.push_back(
          {{"name", s.name},
           {"unit", s.unit},
           {"min", s.min},
           {"max", s.max},
           {"help", s.help},
           {"words", words},
           {"console_command",
            s.command == CommandKind::none ? json(nullptr) : json(command_name(s.command))}});
    }
    json readings = json::array();
    for (const auto& r : block->reading_specs()) {
      readings.push_back(
          {{"column", fmt::format("{}.{}", type.kind, r.name)},
           {"unit", r.unit},
           {"description", r.description},
           {"sensor", r.signal == Signal::none ? json(nullptr) : json(signal_name(r.signal))},
           {"metric", r.summary_key.empty() ? json(nullptr) : json(r.summary_key)},
           {"metric_label", r.summary_label},
           {"metric_unit", r.summary_unit}});
    }
    out.push_back({{"kind", type.kind},
                   {"family", type.family},
                   {"description", type.description},
                   {"console", io::has_console(type.kind)},
                   {"one_per_patient", type.one_per_patient},
                   {"data_file", (io::data_directory() / "devices" / type.data_file).string()},
                   {"settings", settings},
                   {"readings", readings}});
  }
  return out;
}

json metrics_json() {
  json out = json::array();
  for (const auto& f : sim::metric_fields()) {
    out.push_back({{"key", f.name},
                   {"group", f.group},
                   {"label", f.label},
                   {"unit", f.unit},
                   {"description", f.description}});
  }
  return out;
}

json columns_json() {
  json out = json::array({{{"name", "t_s"}, {"unit", "s"}, {"description", "time"}}});
  for (const auto& c : physio::observable_columns()) {
    out.push_back({{"name", c.name}, {"unit", c.unit}, {"description", c.description}});
  }
  return out;
}

json procedure_json() {
  json out = json::array();
  for (const auto& f : sim::procedure_fields()) {
    out.push_back({{"key", f.name}, {"unit", f.unit}, {"description", f.description}});
  }
  return out;
}

json ffr_keys_json() {
  json out = json::array();
  for (const auto& k : io::ffr_keys()) {
    out.push_back({{"key", k.key}, {"unit", k.unit}, {"description", k.description}});
  }
  return out;
}

json scenario_json() {
  json out = json::array();
  for (const auto& k : io::scenario_keys()) {
    out.push_back({{"table", k.table},
                   {"key", k.key},
                   {"type", k.type},
                   {"unit", k.unit},
                   {"description", k.description}});
  }
  return out;
}

json everything(const std::string& what) {
  json out = {{"notice", io::kSimulationNotice}};
  const bool all = what == "all";
  if (all || what == "patients") out["patients"] = patients_json();
  if (all || what == "devices") out["devices"] = devices_json();
  if (all || what == "metrics") out["metrics"] = metrics_json();
  if (all || what == "columns") out["columns"] = columns_json();
  if (all || what == "scenario") out["scenario_keys"] = scenario_json();
  if (all || what == "procedure") {
    out["procedure"] = procedure_json();
    out["ffr"] = ffr_keys_json();
  }
  return out;
}

// A table, printed as Markdown or as aligned text.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  std::string render(bool markdown) const {
    std::string out;
    if (markdown) {
      auto line = [&out](const std::vector<std::string>& cells) {
        for (const auto& c : cells) out += "| " + c + " ";
        out += "|\n";
      };
      line(header_);
      for (std::size_t i = 0; i < header_.size(); ++i) out += "|---";
      out += "|\n";
      for (const auto& r : rows_) line(r);
      return out;
    }
    // Text: every column but the last padded to its widest cell.
    std::vector<std::size_t> width(header_.size(), 0);
    for (const auto* r : all()) {
      for (std::size_t i = 0; i < r->size(); ++i) width[i] = std::max(width[i], (*r)[i].size());
    }
    for (const auto* r : all()) {
      std::string line = " ";
      for (std::size_t i = 0; i < r->size(); ++i) {
        const std::string& cell = (*r)[i];
        line.push_back(' ');
        line.append(cell);
        if (i + 1 < r->size()) line.append(width[i] - cell.size(), ' ');
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
    return out;
  }

 private:
  std::vector<const std::vector<std::string>*> all() const {
    std::vector<const std::vector<std::string>*> r = {&header_};
    for (const auto& x : rows_) r.push_back(&x);
    return r;
  }
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

std::string text(const json& j, bool markdown) {
  std::string out;
  auto str = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  auto heading = [&](const std::string& title, int level = 2) {
    out += markdown ? fmt::format("\n{} {}\n\n", level == 2 ? "##" : "###", title)
                    : fmt::format("\n{}\n", title);
  };
  if (markdown) {
    out += "# unload: patients, devices, metrics, columns and scenario keys\n\n";
    out +=
        "Made by `unload list --markdown` from the registries the program uses; a test checks "
        "that this file is up to date. " +
        j["notice"].get<std::string>() + "\n";
  }
  if (j.contains("patients")) {
    heading("Patients (`--patient NAME`, `[scenario] patient`)");
    Table t({"name", "description"});
    for (const auto& p : j["patients"]) t.row({str(p["name"]), str(p["description"])});
    out += t.render(markdown);
  }
  if (j.contains("devices")) {
    heading("Devices (`--device KIND`, `[[devices]] kind`)");
    for (const auto& d : j["devices"]) {
      heading(str(d["kind"]), 3);
      out += fmt::format("{}{} ({}). One per patient: {}.{}\n\n", markdown ? "" : "  ",
                         str(d["description"]), str(d["family"]), str(d["one_per_patient"]),
                         d["console"].get<bool>() ? " Runs with its console." : "");
      Table settings({"setting", "unit", "range", "words", "console command", "accepts"});
      for (const auto& s : d["settings"]) {
        std::string words;
        for (const auto& w : s["words"]) words += (words.empty() ? "" : ", ") + str(w);
        settings.row({str(s["name"]), str(s["unit"]),
                      fmt::format("{:g} to {:g}", s["min"].get<double>(), s["max"].get<double>()),
                      words, s["console_command"].is_null() ? "" : str(s["console_command"]),
                      str(s["help"])});
      }
      out += settings.render(markdown) + "\n";
      Table readings({"waveform column", "unit", "sensor", "beat metric", "what"});
      for (const auto& r : d["readings"]) {
        readings.row({str(r["column"]), str(r["unit"]),
                      r["sensor"].is_null() ? "" : str(r["sensor"]),
                      r["metric"].is_null()
                          ? ""
                          : fmt::format("{} ({})", str(r["metric"]), str(r["metric_unit"])),
                      str(r["description"])});
      }
      out += readings.render(markdown);
    }
  }
  if (j.contains("metrics")) {
    heading("Beat metrics (beats.csv, `steady --json`, summary.json)");
    Table t({"key", "unit", "label", "definition"});
    if (markdown) {
      out +=
          ("A value that does not apply (a device metric in a beat where the device did not act, "
           "such as a balloon pump's augmented pressure in a beat it skips at 1:2) is an empty "
           "field in CSV files, which pandas, R and spreadsheets read as missing, and null in "
           "JSON.\n\n");
    }
    for (const auto& m : j["metrics"]) {
      t.row({str(m["key"]), str(m["unit"]), str(m["label"]), str(m["description"])});
    }
    out += t.render(markdown);
  }
  if (j.contains("columns")) {
    heading("Waveform columns (waveforms.csv; device readings follow as KIND.READING)");
    Table t({"column", "unit", "what"});
    for (const auto& c : j["columns"])
      t.row({str(c["name"]), str(c["unit"]), str(c["description"])});
    out += t.render(markdown);
  }
  if (j.contains("procedure")) {
    heading("Procedure key numbers (summary.json \"procedure\", printed by `unload run`)");
    if (markdown) {
      out +=
          ("Computed from the beats and the timeline's coronary events (balloon, stent, "
           "stenosis, no-reflow). A territory is reduced while its inflow is below its artery's "
           "lasting level (a balloon in it; a stenosis is the patient's) or its microvascular "
           "conductance (a no-reflow) is below 1; a beat is ischaemic when some territory is "
           "reduced during it. "
           "A value the run did not have (no inflation, no recovery by the end) is null.\n\n");
    }
    Table t({"key", "unit", "definition"});
    for (const auto& k : j["procedure"]) {
      t.row({str(k["key"]), str(k["unit"]), str(k["description"])});
    }
    out += t.render(markdown);
    heading("FFR readings (summary.json \"ffr\", printed by `unload run`)");
    if (markdown) {
      out += fmt::format(
          "One per adenosine infusion: each territory's Pd/Pa averaged over the beats that start "
          "{:g} s or more into the infusion and end by its stop (or a change of rate, or the "
          "run's end), while no territory is reduced. A coronary event during the infusion "
          "(balloon, stent, stenosis, no-reflow) ends the reading and starts another {:g} s "
          "after it. An infusion with no such beat gives one reading with beats 0 and null "
          "Pd/Pa.\n\n",
          sim::kFfrHyperaemia_s, sim::kFfrSettle_s);
    }
    Table f({"key", "unit", "definition"});
    for (const auto& k : j["ffr"]) {
      f.row({str(k["key"]), str(k["unit"]), str(k["description"])});
    }
    out += f.render(markdown);
  }
  if (j.contains("scenario_keys")) {
    heading("Scenario keys");
    Table t({"table", "key", "type", "unit", "meaning"});
    for (const auto& k : j["scenario_keys"]) {
      t.row(
          {str(k["table"]), str(k["key"]), str(k["type"]), str(k["unit"]), str(k["description"])});
    }
    out += t.render(markdown);
  }
  return out;
}

}  // namespace

int list(const ListOptions& options) {
  const json j = everything(options.what);
  if (options.json) {
    fmt::print("{}\n", io::json_text(j));
  } else {
    fmt::print("{}", text(j, options.markdown));
  }
  return 0;
}

}  // namespace unload::cli
