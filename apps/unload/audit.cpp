// unload audit: list an audit log's records (a table or CSV), or verify its hash chain; and where
// `unload run` writes its audit log.
//
// Where the audit log goes. By default OUT/audit.sqlite, in the output directory OUT, written in
// place from the run's start while the other outputs are staged (io/output_directory.hpp: "In
// place"): every record is there as soon as it is committed, however the run ends, and the commit
// carries the file into the new output without copying or moving it. An audit log is never
// replaced: each run appends its records (run_started ... run_ended) to the chain of the same
// file, also with --force. `--audit FILE` names another file (appended to the same way); a path
// inside the output directory other than OUT/audit.sqlite is refused, since the run replaces
// what that directory holds.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "commands.hpp"
#include "unload/core/error.hpp"
#include "unload/io/audit_log.hpp"
#include "unload/io/writers.hpp"

namespace unload::cli {

namespace {

void print_csv(const std::vector<io::AuditRecord>& records) {
  fmt::print("sequence,simulated_s,wall_utc,kind,detail,previous_hash,hash\n");
  for (const auto& r : records) {
    fmt::print("{},{},{},{},{},{},{}\n", r.sequence, r.simulated_s, r.wall_utc, r.kind,
               io::csv_field(r.detail), r.previous_hash, r.hash);
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

std::optional<std::filesystem::path> audit_path(
    const std::optional<std::filesystem::path>& requested, const io::OutputDirectory& out) {
  namespace fs = std::filesystem;
  const fs::path in_place = out.target() / io::kAuditLogName;
  if (!requested) return std::nullopt;
  const fs::path asked = fs::weakly_canonical(fs::absolute(*requested));
  if (asked == fs::weakly_canonical(in_place)) return std::nullopt;
  const fs::path directory = fs::weakly_canonical(out.target());
  const auto [d, p] = std::mismatch(directory.begin(), directory.end(), asked.begin(), asked.end());
  if (d == directory.end()) {
    throw InputError(fmt::format(
        "--audit {}: inside the output directory {}, which a run replaces; its audit log there is "
        "{} (the default), or put the file outside it",
        requested->string(), out.target().string(), in_place.string()));
  }
  return *requested;
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
  if (records.empty()) {
    fmt::print(
        "audit log {}: no record to verify (nothing was committed, as when a run stops before its "
        "first record, or every record was removed, which a hash chain cannot show)\n",
        options.database.string());
    return 0;
  }
  fmt::print("audit log {}: intact, {} record{}, sequence 1 to {}; last hash {}\n",
             options.database.string(), v.records, v.records == 1 ? "" : "s", v.records,
             v.last_hash);
  // A hash chain shows a changed or removed record, not records cut off at the end: say whether
  // the last run's end is there (a run still going, or killed, has none either).
  std::size_t started = 0, ended = 0;
  for (const auto& r : records) {
    started += r.kind == "run_started";
    ended += r.kind == "run_ended";
  }
  if (records.back().kind != "run_ended") {
    fmt::print(
        "note: the last record is {} (sequence {}), not run_ended: the last run is still going, "
        "was killed, or the log was cut after it ({} run{} started, {} ended)\n",
        records.back().kind, records.back().sequence, started, started == 1 ? "" : "s", ended);
  }
  return 0;
}

}  // namespace unload::cli
