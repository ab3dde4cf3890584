// The audit log (io/audit_log.hpp): its hash chain, what verify finds when a record is changed,
// deleted or moved, `unload audit` as a user runs it, and the kill test: `unload run --audit`
// killed with SIGKILL at random moments, every database verified afterwards.
#include "unload/io/audit_log.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_files.hpp"
#include "unload/core/error.hpp"
#include "unload/io/output_directory.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using unload::io::AuditKind;
using unload::io::AuditLog;

class Audit : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/unload-audit-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A log of five records (run_started, three events, run_ended).
  fs::path five_records() {
    const fs::path db = dir_ / "five.sqlite";
    AuditLog log(db);
    log.append(AuditKind::run_started, 0, R"({"scenario":"test"})");
    log.append(AuditKind::setting, 1.5, R"({"setting":"level","value":8})");
    log.append(AuditKind::event, 2.0, R"({"event":"rhythm","rhythm":"vf"})");
    log.append(AuditKind::operator_action, 2.5, R"({"event":"defibrillation"})");
    log.append(AuditKind::run_ended, 3.0, R"({"outcome":"completed"})");
    return db;
  }

  static void execute(const fs::path& db, const std::string& sql) {
    SQLite::Database d(db.string(), SQLite::OPEN_READWRITE);
    d.exec(sql);
  }

  static unload::io::AuditVerification verify(const fs::path& db) {
    return unload::io::verify_audit_log(unload::io::read_audit_log(db));
  }

  using Outcome = ::unload::testing::Outcome;
  // Runs `unload ARGS` in the test's directory (its stdout and stderr go to the test program's own
  // directory, so that the test's holds only what unload wrote).
  Outcome unload(const std::string& args) {
    return ::unload::testing::run_program(UNLOAD_BINARY, dir_, args, ::unload::testing::temp_dir());
  }

  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name) << text;
  }

  fs::path dir_;
};

// --- the chain ---

TEST_F(Audit, AnUntouchedLogVerifiesAndItsSequenceHasNoGaps) {
  const fs::path db = five_records();
  const auto records = unload::io::read_audit_log(db);
  ASSERT_EQ(records.size(), 5u);
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].sequence, static_cast<std::int64_t>(i + 1));
    if (i > 0) {
      EXPECT_EQ(records[i].previous_hash, records[i - 1].hash);
    }
  }
  EXPECT_EQ(records[1].kind, "setting");
  EXPECT_EQ(records[1].simulated_s, 1.5);
  const auto v = verify(db);
  EXPECT_FALSE(v.first_bad) << v.problem;
  EXPECT_EQ(v.last_hash, records.back().hash);
}

TEST_F(Audit, ALogIsOpenedInWalModeAndAReopenedLogContinuesItsChain) {
  const fs::path db = five_records();
  {
    SQLite::Database d(db.string(), SQLite::OPEN_READONLY);
    EXPECT_EQ(d.execAndGet("PRAGMA journal_mode").getString(), "wal");
  }
  {
    AuditLog log(db);
    EXPECT_EQ(log.append(AuditKind::run_started, 0, "{}"), 6);
  }
  EXPECT_FALSE(verify(db).first_bad);
}

TEST_F(Audit, AChangedDetailIsFoundAtItsSequenceNumber) {
  const fs::path db = five_records();
  execute(db,
          R"(UPDATE audit_record SET detail = '{"setting":"level","value":9}' WHERE sequence = 2)");
  const auto v = verify(db);
  ASSERT_TRUE(v.first_bad);
  EXPECT_EQ(*v.first_bad, 2);
  EXPECT_THAT(v.problem, HasSubstr("changed"));
}

TEST_F(Audit, AChangedTimeIsFoundAtItsSequenceNumber) {
  const fs::path db = five_records();
  execute(db, "UPDATE audit_record SET simulated_s = 2.25 WHERE sequence = 3");
  const auto v = verify(db);
  ASSERT_TRUE(v.first_bad);
  EXPECT_EQ(*v.first_bad, 3);
}

TEST_F(Audit, ADeletedRecordIsFoundAtItsSequenceNumber) {
  const fs::path db = five_records();
  execute(db, "DELETE FROM audit_record WHERE sequence = 3");
  const auto v = verify(db);
  ASSERT_TRUE(v.first_bad);
  EXPECT_EQ(*v.first_bad, 3);
  EXPECT_THAT(v.problem, HasSubstr("missing"));
}

TEST_F(Audit, ADeletedAndRenumberedRecordIsFoundAtItsSequenceNumber) {
  const fs::path db = five_records();
  execute(db,
          "DELETE FROM audit_record WHERE sequence = 2; "
          "UPDATE audit_record SET sequence = sequence - 1 WHERE sequence > 2");
  const auto v = verify(db);
  ASSERT_TRUE(v.first_bad);
  EXPECT_EQ(*v.first_bad, 2);
}

TEST_F(Audit, TwoSwappedRecordsAreFoundAtTheFirstOfThem) {
  const fs::path db = five_records();
  execute(db,
          "UPDATE audit_record SET sequence = -1 WHERE sequence = 3; "
          "UPDATE audit_record SET sequence = 3 WHERE sequence = 4; "
          "UPDATE audit_record SET sequence = 4 WHERE sequence = -1");
  const auto v = verify(db);
  ASSERT_TRUE(v.first_bad);
  EXPECT_EQ(*v.first_bad, 3);
}

TEST_F(Audit, ASqliteFileThatIsNotAnAuditLogIsRefused) {
  const fs::path db = dir_ / "other.sqlite";
  {
    SQLite::Database d(db.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    d.exec("CREATE TABLE patients (name TEXT)");
  }
  EXPECT_THROW(unload::io::read_audit_log(db), unload::InputError);
  EXPECT_THROW(AuditLog{db}, unload::InputError);
}

// --- unload audit, as a user runs it ---

TEST_F(Audit, AuditListsTheRecordsAsATableAndAsCsv) {
  five_records();
  Outcome o = unload("audit five.sqlite");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("5 records"));
  EXPECT_THAT(o.out, HasSubstr("operator_action"));
  o = unload("audit five.sqlite --csv");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 6);
  EXPECT_THAT(o.out, HasSubstr("sequence,simulated_s,wall_utc,kind,detail,previous_hash,hash\n"));
  EXPECT_THAT(o.out, HasSubstr(R"(,setting,"{""setting"":""level"",""value"":8}",)"));
}

TEST_F(Audit, VerifyExitsZeroIntactOneBrokenTwoNotAnAuditLog) {
  const fs::path db = five_records();
  Outcome o = unload("audit verify five.sqlite");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("intact, 5 records"));
  EXPECT_THAT(o.out, Not(HasSubstr("not run_ended")));
  // The log may be named before `verify` too (the usage line's order).
  o = unload("audit five.sqlite verify");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("intact, 5 records"));
  o = unload("audit verify");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("name the audit log"));
  // A chain cannot show records cut off at its end: verify says when the last run's end is not
  // there (the run_ended record deleted: the rest still chains).
  fs::copy_file(db, dir_ / "cut.sqlite");
  execute(dir_ / "cut.sqlite", "DELETE FROM audit_record WHERE sequence = 5");
  o = unload("audit verify cut.sqlite");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("intact, 4 records"));
  EXPECT_THAT(o.out, HasSubstr("the last record is operator_action (sequence 4), not run_ended"));
  write("empty.sqlite", "");
  o = unload("audit verify empty.sqlite");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("no record to verify"));
  EXPECT_THAT(o.out, Not(HasSubstr("intact")));
  execute(db, "UPDATE audit_record SET kind = 'setting' WHERE sequence = 4");
  o = unload("audit verify five.sqlite");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_THAT(o.err, HasSubstr("broken at sequence 4"));
  write("text.sqlite", "not a database at all, just text\n");
  for (const char* file : {"text.sqlite", "missing.sqlite"}) {
    o = unload(std::string("audit verify ") + file);
    EXPECT_EQ(o.exit_code, 2) << file;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_THAT(o.err, HasSubstr(file));
  }
}

const char* const kShortRun =
    "[scenario]\npatient = \"normal\"\nduration = 2\noutput_rate = 10\n"
    "[[devices]]\nkind = \"impella-cp\"\nlevel = \"P4\"\n"
    "[[events]]\ntime = 1\ndevice = \"impella-cp\"\nlevel = \"P8\"\n";

TEST_F(Audit, ARunWritesItsAuditLogInItsOutputAndAppendsOnRerun) {
  write("short.toml", kShortRun);
  Outcome o = unload("run short.toml --out result");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const fs::path db = dir_ / "result" / "audit.sqlite";
  ASSERT_TRUE(fs::is_regular_file(db));
  EXPECT_FALSE(fs::exists(dir_ / "result.audit.sqlite"));
  auto records = unload::io::read_audit_log(db);
  ASSERT_GE(records.size(), 3u);
  EXPECT_EQ(records.front().kind, "run_started");
  EXPECT_THAT(records.front().detail, HasSubstr("impella-cp"));
  EXPECT_THAT(records.front().detail, HasSubstr("\"commit\""));
  EXPECT_EQ(records.back().kind, "run_ended");
  EXPECT_THAT(records.back().detail, HasSubstr("\"outcome\":\"completed\""));
  bool operator_setting = false;
  for (const auto& r : records) {
    operator_setting = operator_setting || (r.kind == "setting" && r.simulated_s == 1.0);
  }
  EXPECT_TRUE(operator_setting);
  const std::size_t first_run = records.size();
  const auto inode = [](const fs::path& f) {
    struct stat st {};
    return ::stat(f.c_str(), &st) == 0 ? st.st_ino : 0;
  };
  const auto first_inode = inode(db);
  // --force replaces the output around the audit log, which goes on (the same file, appended to).
  o = unload("run short.toml --out result --force");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(inode(db), first_inode);
  records = unload::io::read_audit_log(db);
  EXPECT_GT(records.size(), first_run);
  EXPECT_EQ(records[first_run].kind, "run_started");
  // Named as the default, it is the default.
  o = unload("run short.toml --out result --force --audit result/audit.sqlite");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(inode(db), first_inode);
  const Outcome verified = unload("audit verify result/audit.sqlite");
  EXPECT_EQ(verified.exit_code, 0);
  EXPECT_THAT(verified.out, Not(HasSubstr("not run_ended")));  // every run ended
  EXPECT_EQ(unload("audit result/audit.sqlite").exit_code, 0);
  // A run leaves nothing beside its output, and nothing of SQLite's beside the log.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2);
  EXPECT_FALSE(fs::exists(dir_ / "result" / "audit.sqlite-wal"));
  EXPECT_FALSE(fs::exists(dir_ / "result" / "audit.sqlite-shm"));
}

pid_t spawn_unload(const fs::path& dir, std::vector<std::string> args);  // below

// A run that is killed leaves its output directory holding only its audit log (and a marker): the
// log holds what happened up to the kill, and the next run writes into the directory without
// --force and appends to the same log.
TEST_F(Audit, AKilledRunKeepsItsAuditLogInPlaceAndTheNextRunContinuesIt) {
  write("long.toml",
        "[scenario]\npatient = \"normal\"\nduration = 36000\noutput_rate = 10\n"
        "[[devices]]\nkind = \"impella-cp\"\nlevel = \"P4\"\n"
        "[[events]]\ntime = 0.5\ndevice = \"impella-cp\"\nlevel = \"P8\"\n");
  write("short.toml", kShortRun);
  const pid_t pid = spawn_unload(dir_, {"run", "long.toml", "--out", "result"});
  ASSERT_GT(pid, 0);
  const fs::path db = dir_ / "result" / "audit.sqlite";
  // Until the operator's setting at 0.5 s is committed (the run is well under way).
  for (int i = 0; i < 600; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!fs::exists(db)) continue;
    try {
      if (unload::io::read_audit_log(db).size() >= 2) break;
    } catch (const unload::InputError&) {
    }
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto records = unload::io::read_audit_log(db);
  ASSERT_GE(records.size(), 2u);
  EXPECT_EQ(records.front().kind, "run_started");
  EXPECT_NE(records.back().kind, "run_ended");  // a killed run has none
  EXPECT_FALSE(fs::exists(dir_ / "result" / "waveforms.csv"));
  const std::size_t killed_run = records.size();

  const Outcome o = unload("run short.toml --out result");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.err, HasSubstr("left by a run that was stopped"));  // its staging directory
  EXPECT_TRUE(fs::exists(dir_ / "result" / "waveforms.csv"));
  records = unload::io::read_audit_log(db);
  ASSERT_GT(records.size(), killed_run);
  EXPECT_EQ(records[killed_run].kind, "run_started");
  EXPECT_EQ(records.back().kind, "run_ended");
  EXPECT_EQ(unload("audit verify result/audit.sqlite").exit_code, 0);
}

// A run killed between making its output directory and renaming the directory's marker into
// place leaves the directory without one (empty, or with the marker's partial file). The next run
// into it marks it before its audit log goes in, so that the directory, holding only that log, is
// still known as unload's (the kill test below found such a directory once in about 500 kills).
TEST_F(Audit, ADirectoryLeftWithoutItsMarkerIsMarkedBeforeTheAuditLogGoesIn) {
  for (const bool partial : {false, true}) {
    const fs::path target = dir_ / (partial ? "partial" : "empty");
    fs::create_directories(target);
    if (partial) std::ofstream(target / ".unload-output.partial") << "{";
    unload::io::OutputDirectory out(target, false);
    EXPECT_EQ(out.audit_log(), target / "audit.sqlite");
    EXPECT_TRUE(fs::exists(target / ".unload-output")) << target;
    EXPECT_FALSE(fs::exists(target / ".unload-output.partial")) << target;
  }
}

TEST_F(Audit, SteadyWritesAnAuditLogWhenAsked) {
  const Outcome o = unload("steady --patient normal --audit steady.sqlite");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto records = unload::io::read_audit_log(dir_ / "steady.sqlite");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].kind, "run_started");
  EXPECT_EQ(records[1].kind, "run_ended");
}

TEST_F(Audit, AnotherAuditLogInsideTheOutputDirectoryIsRefused) {
  write("short.toml", kShortRun);
  const Outcome o = unload("run short.toml --out result --audit result/mine.sqlite");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("inside the output directory"));
  EXPECT_THAT(o.err, HasSubstr("audit.sqlite (the default)"));
  EXPECT_FALSE(fs::exists(dir_ / "result"));  // nothing made
}

// --- the kill test ---

// A run with an operator's setting every 0.1 s (and the console's commands that follow): records
// are being committed during most of its life.
std::string busy_scenario() {
  std::string s =
      "[scenario]\npatient = \"normal\"\nduration = 12\noutput_rate = 5\n"
      "[[devices]]\nkind = \"impella-cp\"\nlevel = \"P2\"\n";
  for (int i = 1; i < 120; ++i) {
    s += "[[events]]\ntime = " + std::to_string(i * 0.1) + "\ndevice = \"impella-cp\"\nlevel = \"" +
         (i % 2 == 0 ? "P2" : "P8") + "\"\n";
  }
  return s;
}

pid_t spawn_unload(const fs::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), UNLOAD_BINARY);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  pid_t pid = -1;
  if (posix_spawn(&pid, UNLOAD_BINARY, &actions, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// SIGKILL at random moments (fixed seed: CI is repeatable in its delays, if not in where the
// process is when they end). Each kill writes its own database; a second run appends to the same
// database after the kill, so that a killed run's leftovers (its -wal file) are also read and
// continued. Every database must verify, with sequence numbers 1..N.
TEST_F(Audit, EveryDatabaseOfARunKilledAtARandomMomentVerifies) {
  write("busy.toml", busy_scenario());
  constexpr int kKills = 60;
  std::mt19937 random(20261130);
  // How long a whole run takes here, so that kills fall anywhere in it (start-up included).
  const auto start = std::chrono::steady_clock::now();
  {
    const pid_t pid =
        spawn_unload(dir_, {"run", "busy.toml", "--out", "timed", "--audit", "timed.sqlite"});
    ASSERT_GT(pid, 0);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const double whole_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Up to 0.8 of a whole run, so that most runs are killed (a run that ends first still counts
  // towards its database, not towards the kills); up to 1.05 for those with the audit log in
  // place, so that some are killed in their commit and some finish, and the next replaces them.
  std::uniform_real_distribution<double> delay_s(0.0, 0.8 * whole_s);
  std::uniform_real_distribution<double> delay_in_place_s(0.0, 1.05 * whole_s);
  std::size_t survived = 0, with_records = 0;
  int started = 0, killed = 0, finished_in_place = 0;
  while (killed < kKills && started < 4 * kKills) {
    // Every other run writes its audit log in place (the default: OUT/audit.sqlite), into one of
    // 15 output directories that it replaces (--force), so that kills also fall into the staging,
    // the creation of the output directory and the commit that carries the audit log across.
    const std::string k = std::to_string(started % 30);
    const std::vector<std::string> args =
        started % 2 == 0
            ? std::vector<std::string>{"run",     "busy.toml",
                                       "--out",   "out" + std::to_string(started),
                                       "--audit", "kill" + k + ".sqlite"}
            : std::vector<std::string>{"run", "busy.toml", "--out", "run" + k, "--force"};
    const bool place = started % 2 == 1;
    const pid_t pid = spawn_unload(dir_, args);
    ASSERT_GT(pid, 0);
    ++started;
    std::this_thread::sleep_for(
        std::chrono::duration<double>(place ? delay_in_place_s(random) : delay_s(random)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      ++killed;
    } else if (place) {
      ++finished_in_place;
    }
  }
  std::size_t in_place = 0;
  for (int d = 0; d < 30; ++d) {
    const fs::path db = d % 2 == 0 ? dir_ / ("kill" + std::to_string(d) + ".sqlite")
                                   : dir_ / ("run" + std::to_string(d)) / "audit.sqlite";
    if (!fs::exists(db)) continue;  // killed before it was created, every time
    if (d % 2 == 1) {
      // The output directory holds its audit log and either a whole output or nothing else.
      ++in_place;
      const fs::path out = db.parent_path();
      std::vector<std::string> outputs;
      for (const auto& name :
           {"waveforms.csv", "beats.csv", "alarms.csv", "summary.json", ".unload-output"}) {
        if (fs::exists(out / name)) outputs.emplace_back(name);
      }
      EXPECT_TRUE(outputs.size() == 5 || outputs == std::vector<std::string>{".unload-output"})
          << out << " holds " << outputs.size() << " of a run's 5 files";
    }
    const Outcome o = unload("audit verify " + fs::relative(db, dir_).string());
    EXPECT_EQ(o.exit_code, 0) << db << ": " << o.err;
    const auto records = unload::io::read_audit_log(db);
    for (std::size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ(records[i].sequence, static_cast<std::int64_t>(i + 1)) << db;
    }
    survived += records.size();
    with_records += records.empty() ? 0 : 1;
  }
  std::printf(
      "kill test: a whole run %.2f s; %d runs started, %d killed by SIGKILL (the rest had "
      "ended, %d of them with the audit log in place), %zu of 30 databases with records (%zu in "
      "place in their output directory), %zu records in all, all verified\n",
      whole_s, started, killed, finished_in_place, with_records, in_place, survived);
  EXPECT_GE(killed, kKills);
  EXPECT_GT(with_records, 0u);
  EXPECT_GT(in_place, 0u);
}

}  // namespace
