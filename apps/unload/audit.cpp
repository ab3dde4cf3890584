// unload audit: list an audit log's records (a table or CSV), or verify its hash chain; and where
// `unload run` writes its audit log.
//
// Where the audit log goes. A run's other outputs are staged and moved into place at the end
// (io/output_directory.hpp), but the audit log must hold every record as soon as it happens, even
// if the process is killed the next moment. So it is never staged: by default it is the file
// NAME.audit.sqlite beside the output directory NAME (out/default -> out/default.audit.sqlite),
// written in place from the run's start. It lies outside the directory that staging, --force and
// the removal of a killed run's staging directory replace or remove, so none of them touches it;
// and an audit log is never replaced: each run appends its records (run_started ... run_ended) to
// the chain of the same file. A path inside the output directory is refused for the same reason.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "commands.hpp"
#include "unload/core/error.hpp"
#include "unload/io/audit_log.hpp"

namespace unload::cli {

namespace {

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

void print_csv(const std::vector<io::AuditRecord>& records) {
  fmt::print("sequence,simulated_s,wall_utc,kind,detail,previous_hash,hash\n");
  for (const auto& r : records) {
    fmt::print("{},{},{},{},{},{},{}\n", r.sequence, r.simulated_s, r.wall_utc, r.kind,
               csv_field(r.detail), r.previous_hash, r.hash);
  }
}

void print_table(const std::filesystem::path& db, const std::vector<io::AuditRecord>& records) {
  fmt::print("Audit log {}: {} record{}\n", db.string(), records.size(),
             records.size() == 1 ? "" : "s");
  fmt::print("{:>6}  {:>10}  {:<27}  {:<18}  {}\n", "seq", "sim time s", "wall clock (UTC)", "kind",
             "detail");
  for (const auto& r : records) {
    fmt::print("{:>6}  {:>10.3f}  {:<27}  {:<18}  {}\n", r.sequence, r.simulated_s, r.wall_utc,
               r.kind, r.detail);
  }
}

}  // namespace

std::filesystem::path audit_path(const std::optional<std::filesystem::path>& requested,
                                 const std::filesystem::path& target) {
  namespace fs = std::filesystem;
  fs::path name = target;
  if (!name.has_filename()) name = name.parent_path();  // "out/x/" names the directory out/x
  const fs::path path = requested ? *requested : fs::path(name.string() + ".audit.sqlite");
  const fs::path inside = fs::weakly_canonical(fs::absolute(path));
  const fs::path directory = fs::weakly_canonical(fs::absolute(name));
  const auto [d, p] =
      std::mismatch(directory.begin(), directory.end(), inside.begin(), inside.end());
  if (d == directory.end()) {
    throw InputError(
        fmt::format("--audit {}: inside the output directory {}, which a run "
                    "replaces; put the audit log beside it",
                    path.string(), name.string()));
  }
  return path;
}

int audit(const AuditOptions& options) {
  if (options.database.empty()) {
    throw InputError("audit: name the audit log (unload audit DB, unload audit verify DB)");
  }
  const std::vector<io::AuditRecord> records = io::read_audit_log(options.database);
  if (!options.verify) {
    if (options.csv) {
      print_csv(records);
    } else {
      print_table(options.database, records);
    }
    return 0;
  }
  const io::AuditVerification v = io::verify_audit_log(records);
  if (v.first_bad) {
    std::fflush(stdout);
    fmt::print(stderr, "unload: audit log {} is broken at sequence {}: {}\n",
               options.database.string(), *v.first_bad, v.problem);
    return 1;
  }
  fmt::print("audit log {}: intact, {} record{}, sequence 1 to {}; last hash {}\n",
             options.database.string(), v.records, v.records == 1 ? "" : "s", v.records,
             v.last_hash);
  return 0;
}

}  // namespace unload::cli
