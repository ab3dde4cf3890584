#include "unload/io/audit_log.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>
#include <chrono>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>

#include "unload/core/build_info.hpp"
#include "unload/core/error.hpp"
#include "unload/physio/circulation.hpp"
#include "unload/physio/parameters.hpp"

namespace unload::io {

namespace {

constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS audit_record ("
    " sequence INTEGER PRIMARY KEY,"  // 1, 2, 3 ... without gaps
    " simulated_s REAL NOT NULL,"
    " wall_utc TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " detail TEXT NOT NULL,"
    " previous_hash TEXT NOT NULL,"
    " hash TEXT NOT NULL)";

// The wall-clock time now, UTC, ISO 8601 with microseconds.
std::string wall_clock_utc() {
  const auto now = std::chrono::system_clock::now();
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(us / 1'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     us % 1'000'000);
}

// Length-prefixed, so that no two different records serialise to the same bytes.
void add_field(std::string& out, std::string_view field) {
  out += fmt::format("{}:", field.size());
  out += field;
  out += ';';
}

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("audit log: SHA-256 failed (OpenSSL EVP_Digest)");
  }
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

// What a database holds: an audit log, nothing at all (a new file, or one whose creator was
// killed before its first commit: SQLite's empty database), or something else.
enum class Contents { audit_log, empty, other };

Contents contents(SQLite::Database& db) {
  const int id = db.execAndGet("PRAGMA application_id").getInt();
  const int tables = db.execAndGet("SELECT count(*) FROM sqlite_master").getInt();
  if (id == kAuditApplicationId && db.tableExists("audit_record")) return Contents::audit_log;
  if (id == 0 && tables == 0) return Contents::empty;
  return Contents::other;
}

[[noreturn]] void not_an_audit_log(const std::filesystem::path& path) {
  throw InputError(
      fmt::format("{}: not an unload audit log (a SQLite database without its "
                  "application_id and audit_record table)",
                  path.string()));
}

}  // namespace

std::string_view to_string(AuditKind kind) {
  switch (kind) {
    case AuditKind::setting:
      return "setting";
    case AuditKind::mode_change:
      return "mode_change";
    case AuditKind::operator_action:
      return "operator_action";
    case AuditKind::alarm_raised:
      return "alarm_raised";
    case AuditKind::alarm_acknowledged:
      return "alarm_acknowledged";
    case AuditKind::alarm_cleared:
      return "alarm_cleared";
    case AuditKind::check_confirmed:
      return "check_confirmed";
    case AuditKind::run_started:
      return "run_started";
    case AuditKind::run_ended:
      return "run_ended";
    case AuditKind::alarm_muted:
      return "alarm_muted";
    case AuditKind::advice:
      return "advice";
    case AuditKind::event:
      return "event";
  }
  return "unknown";
}

std::string audit_hash(const AuditRecord& r) {
  std::string bytes;
  add_field(bytes, r.previous_hash);
  add_field(bytes, fmt::format("{}", r.sequence));
  add_field(bytes, fmt::format("{}", r.simulated_s));  // shortest text that reads back exactly
  add_field(bytes, r.wall_utc);
  add_field(bytes, r.kind);
  add_field(bytes, r.detail);
  return sha256_hex(bytes);
}

AuditLog::AuditLog(const std::filesystem::path& path) : path_(path) {
  try {
    db_ = std::make_unique<SQLite::Database>(
        path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOFOLLOW, 5000);
    // WAL: a commit appends to the log, and a reader never blocks the writer. synchronous=FULL:
    // each commit is on disk (fsync) before it returns, so a committed record survives power loss.
    const std::string mode = db_->execAndGet("PRAGMA journal_mode = WAL").getString();
    if (mode != "wal") {
      throw InputError(
          fmt::format("{}: the audit log needs WAL mode (got '{}')", path.string(), mode));
    }
    db_->exec("PRAGMA synchronous = FULL");
    // The schema and the application_id in one transaction: a process killed while creating the
    // file leaves either an empty database or a whole audit log, never half of one.
    SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    switch (contents(*db_)) {
      case Contents::audit_log:
        break;
      case Contents::empty:
        db_->exec(fmt::format("PRAGMA application_id = {}", kAuditApplicationId));
        db_->exec(kSchema);
        break;
      case Contents::other:
        not_an_audit_log(path);
    }
    transaction.commit();
  } catch (const SQLite::Exception& e) {
    throw InputError(fmt::format("{}: cannot open the audit log: {}", path.string(), e.what()));
  }
}

AuditLog::~AuditLog() = default;

std::int64_t AuditLog::append(AuditKind kind, double simulated_s, std::string_view detail_json) {
  try {
    // One transaction per record, holding the write lock from the read of the last record to the
    // commit, so that two writers of one database cannot fork its chain.
    SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    AuditRecord r;
    r.sequence = 1;
    r.previous_hash = kGenesisHash;
    SQLite::Statement last(
        *db_, "SELECT sequence, hash FROM audit_record ORDER BY sequence DESC LIMIT 1");
    if (last.executeStep()) {
      r.sequence = last.getColumn(0).getInt64() + 1;
      r.previous_hash = last.getColumn(1).getString();
    }
    r.simulated_s = simulated_s;
    r.wall_utc = wall_clock_utc();
    r.kind = to_string(kind);
    r.detail = detail_json;
    r.hash = audit_hash(r);
    SQLite::Statement insert(*db_, "INSERT INTO audit_record VALUES (?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, static_cast<std::int64_t>(r.sequence));
    insert.bind(2, r.simulated_s);
    insert.bind(3, r.wall_utc);
    insert.bind(4, r.kind);
    insert.bind(5, r.detail);
    insert.bind(6, r.previous_hash);
    insert.bind(7, r.hash);
    insert.exec();
    transaction.commit();
    return r.sequence;
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error(
        fmt::format("{}: cannot write to the audit log: {}", path_.string(), e.what()));
  }
}

std::vector<AuditRecord> read_audit_log(const std::filesystem::path& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw InputError(fmt::format("{}: no such audit log (not a file)", path.string()));
  }
  try {
    // Read-write when allowed (never created): the last connection to close then folds the WAL
    // back into the database and removes the -wal and -shm files, which a read-only connection
    // would leave beside it. Committed records are the same either way.
    std::unique_ptr<SQLite::Database> opened;
    try {
      opened = std::make_unique<SQLite::Database>(
          path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_NOFOLLOW, 5000);
      opened->execAndGet("PRAGMA application_id");
    } catch (const SQLite::Exception&) {
      opened = std::make_unique<SQLite::Database>(path.string(), SQLite::OPEN_READONLY, 5000);
    }
    SQLite::Database& db = *opened;
    switch (contents(db)) {
      case Contents::audit_log:
        break;
      case Contents::empty:
        return {};  // no record was ever committed
      case Contents::other:
        not_an_audit_log(path);
    }
    SQLite::Statement query(db,
                            "SELECT sequence, simulated_s, wall_utc, kind, detail, previous_hash, "
                            "hash FROM audit_record ORDER BY rowid");
    std::vector<AuditRecord> records;
    while (query.executeStep()) {
      AuditRecord r;
      r.sequence = query.getColumn(0).getInt64();
      r.simulated_s = query.getColumn(1).getDouble();
      r.wall_utc = query.getColumn(2).getString();
      r.kind = query.getColumn(3).getString();
      r.detail = query.getColumn(4).getString();
      r.previous_hash = query.getColumn(5).getString();
      r.hash = query.getColumn(6).getString();
      records.push_back(std::move(r));
    }
    return records;
  } catch (const SQLite::Exception& e) {
    throw InputError(fmt::format("{}: cannot read the audit log: {}", path.string(), e.what()));
  }
}

AuditVerification verify_audit_log(const std::vector<AuditRecord>& records) {
  AuditVerification v;
  v.records = records.size();
  std::int64_t expected = 1;
  std::string previous(kGenesisHash);
  for (const AuditRecord& r : records) {
    if (r.sequence != expected) {
      v.first_bad = expected;
      v.problem =
          r.sequence > expected
              ? fmt::format("record {} is missing (the next record is {})", expected, r.sequence)
              : fmt::format("record {} is out of order (expected {})", r.sequence, expected);
      return v;
    }
    if (r.previous_hash != previous) {
      v.first_bad = r.sequence;
      v.problem = fmt::format(
          "record {} does not follow the record before it (its previous "
          "hash differs)",
          r.sequence);
      return v;
    }
    if (audit_hash(r) != r.hash) {
      v.first_bad = r.sequence;
      v.problem =
          fmt::format("record {} was changed (its hash does not match its contents)", r.sequence);
      return v;
    }
    previous = r.hash;
    ++expected;
  }
  v.last_hash = previous;
  return v;
}

}  // namespace unload::io

namespace unload::io {

nlohmann::json audit_devices_json(const sim::Model& model,
                                  const std::vector<physio::DeviceSettings>& settings) {
  nlohmann::json out = nlohmann::json::array();
  const auto devices = model.devices();
  for (std::size_t k = 0; k < devices.size(); ++k) {
    const auto& block = *devices[k].block;
    nlohmann::json values = nlohmann::json::object();
    const auto specs = block.setting_specs();
    for (std::size_t i = 0; i < specs.size() && k < settings.size(); ++i) {
      values[std::string(specs[i].name)] = settings[k].value[i];
    }
    out.push_back({{"kind", block.kind()}, {"settings", values}});
  }
  return out;
}

void AuditRecorder::on_event(const sim::Event& e) {
  nlohmann::json detail = {{"event", sim::to_string(e.kind)}};
  AuditKind kind = AuditKind::event;
  switch (e.kind) {
    case sim::EventKind::device_setting:
    case sim::EventKind::operator_setting: {
      const auto& block = *model_->devices()[e.device].block;
      detail["device"] = e.device;
      detail["device_kind"] = block.kind();
      detail["setting"] = block.setting_specs()[e.setting].name;
      detail["value"] = e.value;
      if (e.kind == sim::EventKind::operator_setting) kind = AuditKind::setting;
      break;
    }
    case sim::EventKind::coronary_inflow:
    case sim::EventKind::coronary_microvascular:
      detail["territory"] = physio::territory_names.at(e.device);
      detail["fraction_left"] = e.value;
      if (e.kind == sim::EventKind::coronary_inflow) {
        detail["lasting"] = e.setting == sim::kCoronaryLasting;  // a stenosis or a stent
      }
      break;
    case sim::EventKind::infusion_rate:
    case sim::EventKind::bleeding_rate:
      detail["rate_mL_s"] = e.value;
      break;
    case sim::EventKind::drug_dose:
      detail["drug"] = physio::drug_names.at(e.device);
      detail["dose_mcg_kg_min"] = e.value;
      break;
    case sim::EventKind::rhythm:
      detail["rhythm"] = physio::rhythm_name(static_cast<physio::Rhythm>(e.device));
      detail["rate_per_min"] = e.value;
      break;
    case sim::EventKind::defibrillation:
      kind = AuditKind::operator_action;
      break;
    case sim::EventKind::console_input:
      kind = AuditKind::operator_action;
      detail["device"] = e.device;
      detail["device_kind"] = model_->devices()[e.device].block->kind();
      detail["input"] = command_name(static_cast<CommandKind>(e.setting));
      detail["value"] = e.value;
      break;
  }
  log_.append(kind, e.time_s, detail.dump());
}

void AuditRecorder::on_console_message(const control::ConsoleMessage& m) {
  using control::MessageKind;
  AuditKind kind = AuditKind::mode_change;
  switch (m.kind) {
    case MessageKind::alarm_raised:
      kind = AuditKind::alarm_raised;
      break;
    case MessageKind::alarm_acknowledged:
      kind = AuditKind::alarm_acknowledged;
      break;
    case MessageKind::alarm_muted:
      kind = AuditKind::alarm_muted;
      break;
    case MessageKind::alarm_cleared:
      kind = AuditKind::alarm_cleared;
      break;
    case MessageKind::mode_change:
      kind = AuditKind::mode_change;
      break;
    case MessageKind::advice:
      kind = AuditKind::advice;
      break;
    case MessageKind::check_confirmed:
      kind = AuditKind::check_confirmed;
      break;
    case MessageKind::operator_input:
      kind = AuditKind::operator_action;
      break;
  }
  nlohmann::json detail = {{"source", "console"},
                           {"device", m.device},
                           {"device_kind", model_->devices()[m.device].block->kind()},
                           {"name", m.name},
                           {"text", m.text}};
  if (m.kind == MessageKind::alarm_raised || m.kind == MessageKind::alarm_acknowledged ||
      m.kind == MessageKind::alarm_muted || m.kind == MessageKind::alarm_cleared) {
    detail["priority"] = control::priority_name(m.priority);
  }
  if (m.kind == MessageKind::check_confirmed) {
    for (const auto& [t, check, who] : confirmations_) {
      if (t == m.t_s) detail["confirmed_by"] = who;
    }
  }
  log_.append(kind, m.t_s, detail.dump());
}

void AuditRecorder::on_command(double t_s, const Command& command) {
  const nlohmann::json detail = {{"source", "console"},
                                 {"device", command.device},
                                 {"device_kind", model_->devices()[command.device].block->kind()},
                                 {"command", command_name(command.kind)},
                                 {"value", command.value}};
  log_.append(AuditKind::setting, t_s, detail.dump());
}

}  // namespace unload::io

namespace unload::io {

RunAudit::RunAudit(const std::filesystem::path& path, const sim::Session& session,
                   const nlohmann::json& detail)
    : log_(path), session_(session) {
  log_.append(AuditKind::run_started, session_.time(), detail.dump());
}

RunAudit::~RunAudit() {
  if (finished_) return;
  try {
    log_.append(AuditKind::run_ended, session_.time(),
                nlohmann::json{{"outcome", "stopped"}}.dump());
  } catch (const std::exception&) {
    // The run is already failing; its own error is the one to report.
  }
}

void RunAudit::finish(const nlohmann::json& detail) {
  nlohmann::json d = detail;
  if (!d.contains("outcome")) d["outcome"] = "completed";
  log_.append(AuditKind::run_ended, session_.time(), d.dump());
  finished_ = true;
}

nlohmann::json audit_build_json() {
  return {{"version", std::string(unload_version())}, {"commit", std::string(git_commit())}};
}

}  // namespace unload::io
