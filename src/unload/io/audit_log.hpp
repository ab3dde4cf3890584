// The audit log: what happened during a run (settings, operator actions, console commands, timeline
// events, and later mode changes and alarms), with simulated and wall-clock time, in a SQLite
// database that is tamper-evident and survives the process being killed at any moment.
//
//   Storage. One table, audit_record(sequence, simulated_s, wall_utc, kind, detail, previous_hash,
//     hash); `PRAGMA application_id` = kAuditApplicationId marks the file as an unload audit log.
//     WAL journal with synchronous=FULL, and each record is committed in its own transaction
//     (BEGIN IMMEDIATE ... COMMIT): a SIGKILL or power loss loses at most the record being written,
//     never a committed one, and never leaves half a record.
//   Chain. hash = SHA-256 (OpenSSL EVP) over the previous record's hash, the sequence number, both
//     times, the kind and the detail, each field length-prefixed so that no two records serialise
//     alike. The first record's previous hash is 64 zeros. Sequence numbers start at 1 and have no
//     gaps. Editing, deleting or reordering a record breaks the chain at that record; verify()
//     names the first sequence number that does not follow. What a chain cannot show alone: the
//     loss of the last records (truncation), or a rewrite of every hash from some record on; for
//     those, keep the last hash (verify() prints it) somewhere else.
//   Appending. A database that exists is appended to (its chain continues): an audit log is never
//     replaced. A file that is not an audit log is refused (InputError).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "unload/control/alarms.hpp"
#include "unload/sim/session.hpp"

namespace SQLite {
class Database;
}

namespace unload::io {

// "unlA" (0x756e6c41): SQLite's application_id of an unload audit log.
inline constexpr std::int32_t kAuditApplicationId = 0x756e6c41;

enum class AuditKind {
  setting,
  mode_change,
  operator_action,
  alarm_raised,
  alarm_acknowledged,
  alarm_cleared,
  check_confirmed,
  alarm_muted,
  advice,
  run_started,
  run_ended,
  event,
};
std::string_view to_string(AuditKind kind);

struct AuditRecord {
  std::int64_t sequence = 0;
  double simulated_s = 0;
  std::string wall_utc;  // ISO 8601, microseconds, e.g. 2026-11-30T06:43:09.123456Z
  std::string kind;
  std::string detail;               // JSON
  std::string previous_hash, hash;  // 64 lowercase hex digits
};

// The hash of a record, from its fields and the previous record's hash (see above).
std::string audit_hash(const AuditRecord& record);

class AuditLog {
 public:
  // Opens (or creates) the database at `path`; InputError if it cannot be opened or is not an
  // audit log.
  explicit AuditLog(const std::filesystem::path& path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends and commits one record; returns its sequence number.
  std::int64_t append(AuditKind kind, double simulated_s, std::string_view detail_json);

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::unique_ptr<SQLite::Database> db_;
};

// Every record of the audit log at `path`, in sequence order. InputError if the file cannot be read
// or is not an audit log.
std::vector<AuditRecord> read_audit_log(const std::filesystem::path& path);

struct AuditVerification {
  std::size_t records = 0;
  std::optional<std::int64_t> first_bad;  // the first sequence number that does not follow
  std::string problem;                    // what is wrong there
  std::string last_hash;                  // of the last record, when intact
};
// Checks the chain of `records` (as read_audit_log gives them).
AuditVerification verify_audit_log(const std::vector<AuditRecord>& records);

// --- What a run writes into the audit log --------------------------------------------------------

// The attached devices and their settings: [{"kind", "settings": {name: value}}].
nlohmann::json audit_devices_json(const sim::Model& model,
                                  const std::vector<physio::DeviceSettings>& settings);

// Records each timeline event as it is applied and each command a console sends, one committed
// record each: an operator's setting and a console's command as `setting`, a defibrillation as
// `operator_action`, everything else (balloons, rhythms, drugs, fluids, device faults) as `event`.
// It also listens to the consoles: alarms raised, acknowledged, muted and cleared, mode changes,
// check confirmations (with who confirmed, from `confirmed_by`), advice and operator inputs.
class AuditRecorder final : public sim::SimulationObserver, public control::ConsoleListener {
 public:
  AuditRecorder(AuditLog& log, std::shared_ptr<const sim::Model> model)
      : log_(log), model_(std::move(model)) {}
  void on_event(const sim::Event& event) override;
  void on_command(double t_s, const Command& command) override;
  void on_console_message(const control::ConsoleMessage& message) override;
  // Who confirmed each regular check: (time, check index) -> name, from the scenario.
  void set_confirmations(std::vector<std::tuple<double, int, std::string>> confirmations) {
    confirmations_ = std::move(confirmations);
  }

 private:
  AuditLog& log_;
  std::shared_ptr<const sim::Model> model_;
  std::vector<std::tuple<double, int, std::string>> confirmations_;
};

}  // namespace unload::io

namespace unload::io {

// One run's records: run_started when made (`detail`: what runs, as JSON), run_ended by finish()
// (outcome "completed", unless its detail names another), or by the destructor when the run stopped
// early (outcome "stopped": an error or a signal, at the session's time then; a SIGKILL leaves no
// run_ended, which is how a reader tells a killed run).
class RunAudit {
 public:
  RunAudit(const std::filesystem::path& path, const sim::Session& session,
           const nlohmann::json& detail);
  ~RunAudit();
  RunAudit(const RunAudit&) = delete;
  RunAudit& operator=(const RunAudit&) = delete;

  AuditLog& log() { return log_; }
  void finish(const nlohmann::json& detail);

 private:
  AuditLog log_;
  const sim::Session& session_;
  bool finished_ = false;
};

// The build that writes a record: {"version", "commit"}.
nlohmann::json audit_build_json();

}  // namespace unload::io
