#include "unload/io/state_file.hpp"

#include <fmt/format.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "unload/core/build_info.hpp"
#include "unload/core/error.hpp"
#include "unload/core/fingerprint.hpp"
#include "unload/io/devices.hpp"
#include "unload/io/input_file.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/scenario.hpp"
#include "unload/io/writers.hpp"

namespace unload::io {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::string_view kFormat = "unload-state";
// The temporary file a state is written to first: FILE.unload-tmp-PID-XXXXXX.
constexpr std::string_view kTemporaryInfix = ".unload-tmp-";
constexpr std::size_t kTemporarySuffixBytes = kTemporaryInfix.size() + 7 + 1 + 6;

std::string hex(std::uint64_t v) { return to_hex16(v); }

std::uint64_t parse_hex(const fs::path& file, const json& j, std::string_view key) {
  const auto v = j.is_string() ? from_hex16(j.get<std::string>()) : std::nullopt;
  if (!v) {
    throw InputError(
        fmt::format("{}: key '{}': expected 16 hexadecimal digits", file.string(), key));
  }
  return *v;
}

json numbers(const std::vector<double>& v) {
  json a = json::array();
  for (double x : v) a.push_back(std::isfinite(x) ? json(x) : json(nullptr));
  return a;
}

json model_json(const sim::Model& model) {
  const auto& p = model.patient();
  json parameters = json::object();
  physio::PatientParameters copy = p;
  for (const auto& spec : physio::parameter_specs()) parameters[spec.key] = spec.field(copy);
  parameters["baroreflex.enabled"] = p.baroreflex.enabled;
  json devices = json::array();
  for (const auto& d : model.devices()) {
    devices.push_back({{"kind", d.block->kind()},
                       {"parameter_fingerprint", hex(d.block->parameter_fingerprint())}});
  }
  const auto& o = model.options();
  const auto tol = model.tolerances();
  return {{"fingerprint", hex(model.fingerprint())},
          {"patient_fingerprint", hex(model.patient_fingerprint())},
          {"patient", p.name},
          {"patient_parameters", parameters},
          {"devices", devices},
          {"numerics",
           {{"integrator", integrator_name(o.integrator)},
            {"relative_tolerance", tol.relative_tolerance},
            {"absolute_tolerance", tol.absolute_tolerance},
            {"max_step_s", tol.max_step_s},
            {"sample_interval_s", o.sample_interval_s},
            {"relaxed_sample_interval_s", o.relaxed_sample_interval_s},
            {"history_interval_s", o.history_interval_s},
            {"control_interval_s", o.control_interval_s}}}};
}

// What the file says, or an InputError naming the file and key.
const json& need(const fs::path& file, const json& j, std::string_view key) {
  if (!j.is_object() || !j.contains(key)) {
    throw InputError(
        fmt::format("{}: key '{}': missing (not an unload state file?)", file.string(), key));
  }
  return j.at(std::string(key));
}

// A finite number (positive if asked), through the checked accessor for JSON input.
double number(const fs::path& file, const json& j, std::string_view key, bool positive = false) {
  constexpr double kLargest = std::numeric_limits<double>::max();
  return detail::json_number(file, need(file, j, key), key, positive ? 0.0 : -kLargest, kLargest,
                             positive ? "a positive number" : "a finite number");
}

std::shared_ptr<const sim::Model> rebuild_model(const fs::path& file, const json& m) {
  const std::string where = file.string() + ": model";
  const json& name = need(file, m, "patient");
  if (!name.is_string()) throw InputError(where + ": key 'patient': expected a string");
  // The preset names the patient; every value comes from the file.
  physio::PatientParameters patient;
  try {
    patient = load_preset(name.get<std::string>());
  } catch (const InputError&) {
    patient = load_preset("normal");  // only a template: every value is set below
    patient.name = name.get<std::string>();
    patient.description.clear();
  }
  const json& values = need(file, m, "patient_parameters");
  std::vector<Override> batch;
  for (const auto& spec : physio::parameter_specs()) {
    batch.push_back({spec.key, number(file, values, spec.key), where + ".patient_parameters"});
  }
  const json& enabled = need(file, values, "baroreflex.enabled");
  if (!enabled.is_boolean()) {
    throw InputError(where + ".patient_parameters: key 'baroreflex.enabled': expected true/false");
  }
  batch.push_back({"baroreflex.enabled", enabled.get<bool>() ? 1.0 : 0.0, where});
  apply_overrides(patient, batch, where + ".patient_parameters");

  std::vector<DeviceRequest> requests;
  const json& devices = need(file, m, "devices");
  if (!devices.is_array()) throw InputError(where + ": key 'devices': expected an array");
  for (const auto& d : devices) {
    const json& kind = need(file, d, "kind");
    if (!kind.is_string()) throw InputError(where + ": key 'devices.kind': expected a string");
    requests.push_back({kind.get<std::string>(), {}, where + ".devices"});
  }
  DeviceSetup setup = setup_devices(requests);
  for (std::size_t k = 0; k < setup.blocks.size(); ++k) {
    const auto f = parse_hex(file, need(file, devices[k], "parameter_fingerprint"),
                             "model.devices.parameter_fingerprint");
    if (f != setup.blocks[k]->parameter_fingerprint()) {
      throw InputError(fmt::format(
          "{}: the parameters of {} (data/devices/) have changed since this state was saved",
          file.string(), setup.blocks[k]->kind()));
    }
  }
  const json& n = need(file, m, "numerics");
  sim::SimulationOptions o;
  const json& integrator = need(file, n, "integrator");
  const auto kind =
      integrator.is_string() ? integrator_from_name(integrator.get<std::string>()) : std::nullopt;
  if (!kind) throw InputError(where + ".numerics: key 'integrator': expected production/reference");
  o.integrator = *kind;
  o.tolerances = sim::IntegratorOptions{number(file, n, "relative_tolerance", true),
                                        number(file, n, "absolute_tolerance", true),
                                        number(file, n, "max_step_s", true)};
  const sim::IntegratorOptions defaults = sim::default_options(o.integrator);
  if (o.tolerances->relative_tolerance == defaults.relative_tolerance &&
      o.tolerances->absolute_tolerance == defaults.absolute_tolerance &&
      o.tolerances->max_step_s == defaults.max_step_s) {
    o.tolerances.reset();
  }
  o.sample_interval_s = number(file, n, "sample_interval_s", true);
  o.relaxed_sample_interval_s = number(file, n, "relaxed_sample_interval_s", true);
  o.history_interval_s = number(file, n, "history_interval_s", true);
  o.control_interval_s = number(file, n, "control_interval_s", true);
  auto model = std::make_shared<const sim::Model>(patient, setup.blocks, o);
  const auto expected = parse_hex(file, need(file, m, "fingerprint"), "model.fingerprint");
  if (model->fingerprint() != expected) {
    throw InputError(fmt::format(
        "{}: the model rebuilt from this file differs from the one that saved it (fingerprint "
        "{}, saved {}): was it written by another version of unload?",
        file.string(), hex(model->fingerprint()), hex(expected)));
  }
  return model;
}

}  // namespace

void check_state_file_target(const fs::path& file) {
  const auto refuse = [&](std::string_view problem) {
    throw InputError(fmt::format("{}: {}", detail::shown(file.string(), 200), problem));
  };
  if (file.empty() || !file.has_filename()) refuse("expected a file name for the state");
  const fs::path absolute = fs::absolute(file);
  if (absolute.string().size() >= PATH_MAX) {
    refuse(fmt::format("the path is {} bytes; the system allows fewer than {}",
                       absolute.string().size(), PATH_MAX));
  }
  if (file.filename().string().size() + kTemporarySuffixBytes > NAME_MAX) {
    refuse(fmt::format(
        "the name is {} bytes; the state is written first to a temporary file "
        "whose name adds {} bytes, so at most {} are possible",
        file.filename().string().size(), kTemporarySuffixBytes, NAME_MAX - kTemporarySuffixBytes));
  }
  struct stat st {};
  if (::lstat(file.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) refuse("it is a symbolic link; name the file itself");
    if (S_ISDIR(st.st_mode)) refuse("it is a directory; expected a file name for the state");
    if (!S_ISREG(st.st_mode)) refuse("it exists and is not a regular file");
  }
  const fs::path parent = absolute.parent_path();
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) {
    refuse(fmt::format("cannot write the state file: no directory {}", parent.string()));
  }
  if (::access(parent.c_str(), W_OK | X_OK) != 0) {
    refuse(fmt::format("cannot write the state file into {}: {}", parent.string(),
                       std::strerror(errno)));
  }
}

void write_state_file(const fs::path& file, const sim::State& state, const sim::Model& model,
                      const std::string& description) {
  check_state_file_target(file);
  json fields = json::object();
  for (const auto& [name, values] : sim::to_record(state).fields) fields[name] = numbers(values);
  const json doc = {{"format", kFormat},
                    {"version", kStateFileVersion},
                    {"notice", kSimulationNotice},
                    {"description", description},
                    {"unload_version", unload_version()},
                    {"git_commit", git_commit()},
                    {"time_s", state.t_s},
                    {"beats", state.restart.beats_done},
                    {"state_fingerprint", hex(sim::state_fingerprint(state))},
                    {"model", model_json(model)},
                    {"state", fields}};
  // A temporary file of this process only (O_EXCL), renamed into place: a failure, a signal or a
  // second unload saving to the same file never leaves a partial state file.
  std::error_code ec;
  std::random_device random;
  fs::path tmp;
  std::FILE* out = nullptr;
  for (int attempt = 0; attempt < 100 && !out; ++attempt) {
    tmp = fmt::format("{}{}{}-{:06x}", file.string(), kTemporaryInfix, ::getpid(),
                      random() & 0xffffff);
    out = std::fopen(tmp.c_str(), "wbx");
    if (!out && errno != EEXIST) break;
  }
  if (!out) {
    throw std::runtime_error(
        fmt::format("cannot write {}: {}", file.string(), std::strerror(errno)));
  }
  // Bytes that are not UTF-8 (a patient named after its file) replaced, never an exception here.
  const std::string text = doc.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
  const bool written = std::fwrite(text.data(), 1, text.size(), out) == text.size();
  const int saved_errno = errno;
  if (std::fclose(out) != 0 || !written) {
    const std::string why = std::strerror(written ? errno : saved_errno);
    fs::remove(tmp, ec);
    throw std::runtime_error(fmt::format("cannot write {}: {}", file.string(), why));
  }
  fs::rename(tmp, file, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw std::runtime_error(fmt::format("cannot write {}: {}", file.string(), ec.message()));
  }
}

StateFile read_state_file(const fs::path& file) {
  const json doc = detail::parse_json_text(
      file, detail::read_input_file(file, "state file", detail::kMaxStateFileBytes));
  const auto text_of = [&](std::string_view key) {
    const auto it = doc.is_object() ? doc.find(std::string(key)) : doc.end();
    return doc.is_object() && it != doc.end() && it->is_string() ? it->get<std::string>()
                                                                 : std::string();
  };
  if (text_of("format") != kFormat) {
    throw InputError(fmt::format("{}: not an unload state file (expected \"format\": \"{}\")",
                                 file.string(), kFormat));
  }
  const json& version = need(file, doc, "version");
  if (!version.is_number_integer() || version.get<std::int64_t>() != kStateFileVersion) {
    throw InputError(
        fmt::format("{}: key 'version': state file version {} (this unload reads "
                    "version {})",
                    file.string(), detail::shown(version.dump(), 40), kStateFileVersion));
  }
  StateFile out;
  if (const auto it = doc.find("description"); it != doc.end()) {
    if (!it->is_string()) {
      throw InputError(fmt::format("{}: key 'description': expected a string", file.string()));
    }
    out.description = it->get<std::string>();
  }
  out.model = rebuild_model(file, need(file, doc, "model"));
  sim::StateRecord record;
  const json& fields = need(file, doc, "state");
  if (!fields.is_object()) throw InputError(file.string() + ": key 'state': expected an object");
  for (const auto& [name, values] : fields.items()) {
    std::vector<double> v;
    if (!values.is_array()) {
      throw InputError(
          fmt::format("{}: key 'state.{}': expected an array of numbers", file.string(), name));
    }
    for (const auto& x : values) {
      if (x.is_null()) {
        v.push_back(std::nan(""));
      } else if (x.is_number()) {
        v.push_back(x.get<double>());  // exact: parse_json_text refuses inexact integers
      } else {
        throw InputError(fmt::format("{}: key 'state.{}': expected numbers", file.string(), name));
      }
    }
    record.fields.emplace_back(name, std::move(v));
  }
  try {
    out.state = sim::from_record(record, *out.model);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", file.string(), e.what()));
  }
  if (const auto it = doc.find("state_fingerprint"); it != doc.end()) {
    if (parse_hex(file, *it, "state_fingerprint") != sim::state_fingerprint(out.state)) {
      throw InputError(
          fmt::format("{}: the state does not match its fingerprint (edited?)", file.string()));
    }
  }
  return out;
}

}  // namespace unload::io
