#include "unload/io/writers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "unload/core/error.hpp"

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
    fmt::format_to(std::back_inserter(row_), "{}{}", sep(), text);
  }
  void cell(int n) { fmt::format_to(std::back_inserter(row_), "{}{}", sep(), n); }
  void cell(double v) { fmt::format_to(std::back_inserter(row_), "{}{:.9g}", sep(), v); }
  void time(double t_s) { fmt::format_to(std::back_inserter(row_), "{}{:.12g}", sep(), t_s); }

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
  std::string_view sep() const { return row_.empty() ? "" : ","; }
  [[noreturn]] void fail(std::string_view what) const {
    throw std::runtime_error(fmt::format("{} {}: {}", what, path_.string(), std::strerror(errno)));
  }

  fs::path path_;
  std::FILE* file_;
  std::string row_;
};

}  // namespace detail

// --- waveforms.csv ---

WaveformCsvWriter::WaveformCsvWriter(
    const fs::path& file, std::vector<std::pair<std::string, std::size_t>> device_columns)
    : csv_(std::make_unique<detail::CsvFile>(file)), device_columns_(std::move(device_columns)) {
  csv_->cell("t_s");
  for (const auto& column : physio::observable_columns()) csv_->cell(column.name);
  for (const auto& [name, index] : device_columns_) csv_->cell(name);
  csv_->end_row();
}

WaveformCsvWriter::~WaveformCsvWriter() = default;

void WaveformCsvWriter::on_sample(const physio::Observables& sample) {
  csv_->time(sample.t_s);
  for (const auto& column : physio::observable_columns()) csv_->cell(column.get(sample));
  for (const auto& [name, index] : device_columns_) csv_->cell(sample.device_readings[index]);
  csv_->end_row();
}

void WaveformCsvWriter::close() { csv_->close(); }

// --- beats.csv ---

BeatCsvWriter::BeatCsvWriter(const fs::path& file, std::vector<std::string> device_metric_keys)
    : csv_(std::make_unique<detail::CsvFile>(file)),
      device_metric_keys_(std::move(device_metric_keys)) {
  csv_->cell("beat");
  csv_->cell("start_s");
  for (const auto& field : sim::metric_fields()) csv_->cell(field.name);
  for (const auto& key : device_metric_keys_) csv_->cell(key);
  csv_->end_row();
}

BeatCsvWriter::~BeatCsvWriter() = default;

void BeatCsvWriter::on_beat(const sim::BeatMetrics& beat) {
  csv_->cell(beat.beat);
  csv_->time(beat.start_s);
  for (const auto& field : sim::metric_fields()) csv_->cell(field.get(beat));
  for (std::size_t i = 0; i < device_metric_keys_.size(); ++i) csv_->cell(beat.device[i]);
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

// --- summary.json ---

RunSummary summarise_run(const Scenario& scenario, const sim::Simulation& simulation,
                         double wall_time_s, std::string unload_version) {
  RunSummary s;
  s.scenario = &scenario;
  s.simulated_s = simulation.time();
  s.beats = simulation.completed_beats();
  const auto recent = simulation.recent_beats();
  const auto n = std::min<std::size_t>(recent.size(), kSummaryBeats);
  s.averaged_beats = static_cast<int>(n);
  s.metrics = sim::average(recent.subspan(recent.size() - n));
  s.integrator_stats = simulation.integrator_stats();
  s.device_metric_keys = simulation.device_metric_keys();
  for (const auto& d : simulation.plant().devices()) s.devices.emplace_back(d.block->kind());
  s.wall_time_s = wall_time_s;
  s.unload_version = std::move(unload_version);
  return s;
}

namespace {

nlohmann::json scenario_json(const Scenario& sc) {
  nlohmann::json overrides = nlohmann::json::object();
  for (const auto& o : sc.overrides) overrides[o.key] = o.value;
  return {{"name", sc.name},
          {"file", sc.file.string()},
          {"description", sc.description},
          {"patient", sc.patient_reference},
          {"duration_s", sc.duration_s},
          {"output_rate_Hz", sc.output_rate_Hz},
          {"overrides", overrides}};
}

nlohmann::json metrics_json(const RunSummary& s) {
  if (s.averaged_beats == 0) return nullptr;  // no complete beat: nothing to average
  nlohmann::json m = nlohmann::json::object();
  for (const auto& field : sim::metric_fields()) m[std::string(field.name)] = field.get(s.metrics);
  for (std::size_t i = 0; i < s.device_metric_keys.size(); ++i) {
    const double v = s.metrics.device[i];
    m[s.device_metric_keys[i]] = std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
  }
  return m;
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

void write_summary_json(const fs::path& file, const RunSummary& s) {
  const nlohmann::json summary = {
      {"notice", kSimulationNotice},
      {"unload_version", s.unload_version},
      {"patient", s.scenario->patient.name},
      {"patient_description", s.scenario->patient.description},
      {"scenario", scenario_json(*s.scenario)},
      {"devices", s.devices},
      {"duration_s", s.simulated_s},
      {"beats", s.beats},
      {"averaged_beats", s.averaged_beats},
      {"metrics", metrics_json(s)},
      {"integrator", integrator_json(s)},
      {"wall_time_s", s.wall_time_s},
      {"real_time_factor", s.wall_time_s > 0 ? s.simulated_s / s.wall_time_s : 0.0},
  };
  std::ofstream out(file, std::ios::binary);
  out << summary.dump(2) << '\n';
  out.close();
  if (!out) {
    throw std::runtime_error(
        fmt::format("cannot write {}: {}", file.string(), std::strerror(errno)));
  }
}

// --- output directory ---

namespace {

bool is_empty_directory(const fs::path& dir) {
  return fs::is_directory(dir) && fs::directory_iterator(dir) == fs::directory_iterator();
}

// Makes a fresh directory next to `base` named BASE.SUFFIX-XXXXXX (with the permissions of any
// new directory, unlike mkdtemp's owner-only ones, since it becomes the output directory).
fs::path unique_sibling(const fs::path& base, std::string_view suffix) {
  std::random_device random;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const fs::path candidate =
        fmt::format("{}.{}-{:06x}", base.string(), suffix, random() & 0xffffff);
    if (fs::create_directory(candidate)) return candidate;
  }
  throw std::runtime_error(fmt::format("cannot create a directory next to {}", base.string()));
}

void check_target(const fs::path& target, bool replace) {
  if (!fs::exists(target) || is_empty_directory(target)) return;
  if (!fs::is_directory(target)) {
    throw InputError(
        fmt::format("output directory '{}' exists and is not a directory", target.string()));
  }
  if (!replace) {
    throw InputError(
        fmt::format("output directory '{}' exists and is not empty (pass --force to replace it)",
                    target.string()));
  }
  // --force must not be a way to delete an unrelated directory by a typo.
  if (!fs::exists(target / "summary.json")) {
    throw InputError(fmt::format(
        "output directory '{}' is not empty and holds no summary.json; refusing to replace a "
        "directory that is not the output of a previous run",
        target.string()));
  }
}

}  // namespace

OutputDirectory::OutputDirectory(const fs::path& target, bool replace)
    : target_(fs::absolute(target).lexically_normal()) {
  if (!target_.has_filename()) target_ = target_.parent_path();  // "out/run/" names "out/run"
  check_target(target_, replace);
  for (fs::path p = target_.parent_path(); !fs::exists(p); p = p.parent_path()) {
    created_parents_.push_back(p);
  }
  fs::create_directories(target_.parent_path());
  staging_ = unique_sibling(target_, "tmp");
}

OutputDirectory::~OutputDirectory() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
  for (const auto& p : created_parents_) fs::remove(p, ec);  // only if still empty
}

void OutputDirectory::commit() {
  if (!fs::exists(target_) || is_empty_directory(target_)) {
    fs::rename(staging_, target_);
  } else {
    // Replace a previous run's output: move it aside first, so that the target is never missing
    // its files if the rename fails.
    const fs::path previous = unique_sibling(target_, "old");
    fs::rename(target_, previous);
    try {
      fs::rename(staging_, target_);
    } catch (...) {
      fs::rename(previous, target_);
      throw;
    }
    fs::remove_all(previous);
  }
  committed_ = true;
}

}  // namespace unload::io
