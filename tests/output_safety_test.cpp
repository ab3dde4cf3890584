// The `unload` command as an adversarial user meets it (issue 12): output that used to be lost or
// clobbered, signals, bad paths. Runs the built binary (UNLOAD_BINARY) in a temporary directory,
// some of it in the background (posix_spawn) so that it can be signalled or raced.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_files.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using unload::testing::read_text;

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// A background `unload`: started with posix_spawn in a directory, stdout and stderr to files.
class Process {
 public:
  // Runs in `dir`; stdout and stderr go to TAG.out and TAG.err in `logs`.
  Process(const fs::path& dir, std::vector<std::string> args, const std::string& tag,
          const fs::path& logs)
      : out_(logs / (tag + ".out")), err_(logs / (tag + ".err")) {
    args.insert(args.begin(), UNLOAD_BINARY);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
    if (posix_spawn(&pid_, UNLOAD_BINARY, &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Process() {
    if (pid_ > 0 && !waited_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int s) { ::kill(pid_, s); }
  // The exit code, or 128 + the signal that ended the process.
  int wait() {
    if (!waited_) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
      code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      waited_ = true;
    }
    return code_;
  }
  std::string err() const { return read_text(err_); }

 private:
  fs::path out_, err_;
  pid_t pid_ = -1;
  bool waited_ = false;
  int code_ = -1;
};

class Unload : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = ::unload::testing::fresh_test_directory("unload-safety-test"); }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }

  using Outcome = ::unload::testing::Outcome;
  // Runs `unload ARGS` in `where` (default: the work directory) and waits.
  Outcome unload(const std::string& args, const fs::path& where = {}) {
    return ::unload::testing::run_program(UNLOAD_BINARY, where.empty() ? work() : where, args,
                                          dir_);
  }

  fs::path write(const std::string& name, const std::string& text) {
    const fs::path file = work() / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }
  fs::path work() const { return dir_ / "work"; }

  // Names in a directory, sorted.
  static std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  // Whether anything in `dir` is a staging directory of a run.
  static bool staging_left(const fs::path& dir) {
    for (const auto& name : names_in(dir)) {
      if (name.find(".unload-staging-") != std::string::npos) return true;
    }
    return false;
  }
  // Waits (up to a minute) until `dir` holds a staging directory with its marker; false if it
  // never does.
  static bool wait_for_staging(const fs::path& dir) {
    for (int i = 0; i < 6000; ++i) {
      if (fs::exists(dir)) {
        for (const auto& name : names_in(dir)) {
          if (name.find(".unload-staging-") != std::string::npos &&
              fs::exists(dir / name / ".unload-output")) {
            return true;
          }
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  void expect_one_error_line(const Outcome& o, const std::string& what) {
    EXPECT_THAT(o.err, StartsWith("unload: error: ")) << what;
    EXPECT_EQ(count_lines(o.err), 1u) << what << ": " << o.err;
  }

  fs::path dir_;
};

const char* const kShort = "[scenario]\npatient = \"normal\"\nduration = 2\n";
// Long enough to be signalled (minutes: it is always stopped before it ends).
const char* const kLong =
    "[scenario]\npatient = \"normal\"\nduration = 3600\n[numerics]\nintegrator = \"reference\"\n";
// Long enough to be raced: a few seconds (its steady state is computed with CVODE too).
const char* const kMedium =
    "[scenario]\npatient = \"normal\"\nduration = 20\n[numerics]\nintegrator = \"reference\"\n";

// --- 3. bad paths and arguments: exit 2, one line ---

TEST_F(Unload, BadOutputPathsExitTwoWithOneClearLineBeforeTheRun) {
  write("short.toml", kShort);
  for (const std::string& out :
       {std::string("''"), "'" + std::string(5000, 'x') + "'", "'" + std::string(250, 'y') + "'"}) {
    const Outcome o = unload("run short.toml --out " + out);
    EXPECT_EQ(o.exit_code, 2) << out.substr(0, 20);
    expect_one_error_line(o, out.substr(0, 20));
    EXPECT_THAT(o.err, HasSubstr("output directory"));
  }
  EXPECT_EQ(names_in(work()), std::vector<std::string>{"short.toml"});
}

TEST_F(Unload, BenchRefusesSecondsThatAreNotANumber) {
  for (const char* seconds : {"nan", "inf", "-inf", "1e400"}) {
    const Outcome o = unload(std::string("bench --seconds ") + seconds);
    EXPECT_EQ(o.exit_code, 2) << seconds;
    expect_one_error_line(o, seconds);
    EXPECT_THAT(o.err, HasSubstr("--seconds")) << seconds;
  }
}

TEST_F(Unload, AScenarioNamedInBytesThatAreNotUtf8IsRefusedBeforeTheRun) {
  const std::string name = "bad\xff.toml";
  write(name, kShort);
  const Outcome o = unload("run '" + name + "' --out result");
  EXPECT_EQ(o.exit_code, 2);
  expect_one_error_line(o, "non-UTF-8");
  EXPECT_THAT(o.err, HasSubstr("not valid UTF-8"));
  EXPECT_FALSE(fs::exists(work() / "result"));
}

TEST_F(Unload, RunOfADirectoryOrOfDevNullSaysWhatItIs) {
  Outcome o = unload("run /tmp");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("it is a directory"));
  o = unload("run /dev/null");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("it is a device"));
}

TEST_F(Unload, APresetThatIsAFifoIsRefusedAtOnce) {
  ASSERT_EQ(::mkfifo((work() / "fifo.toml").c_str(), 0600), 0);
  const Outcome o = unload("steady --patient ./fifo.toml");  // it used to wait forever
  EXPECT_EQ(o.exit_code, 2);
  expect_one_error_line(o, "fifo");
  EXPECT_THAT(o.err, HasSubstr("FIFO"));
}

TEST_F(Unload, DeeplyDottedKeysAreRefusedNotACrash) {
  std::string header = "[a";
  for (int i = 1; i < 40000; ++i) header += ".a";
  write("h.toml", header + "]\n");
  const Outcome o = unload("run h.toml");
  EXPECT_EQ(o.exit_code, 2);
  expect_one_error_line(o, "deep key");
  EXPECT_THAT(o.err, HasSubstr("h.toml:1:"));
}

// --- 7. concurrent runs and directories that appear during a run ---

TEST_F(Unload, TwoRunsIntoOneDirectoryNeverSilentlyReplaceEachOther) {
  write("long.toml", kMedium);
  write("other.toml", std::string(kMedium).replace(0, 11, "[scenario]\ndescription = \"2\"\n"));
  Process a(work(), {"run", "long.toml", "--out", "both"}, "a", dir_);
  Process b(work(), {"run", "other.toml", "--out", "both"}, "b", dir_);
  const int ca = a.wait(), cb = b.wait();
  // One wins; the other is told, exits 2 and keeps nothing half-written.
  EXPECT_EQ(std::min(ca, cb), 0) << a.err() << b.err();
  EXPECT_EQ(std::max(ca, cb), 2) << a.err() << b.err();
  const std::string loser = ca == 2 ? a.err() : b.err();
  EXPECT_THAT(loser, HasSubstr("without --force"));
  const auto summary = nlohmann::json::parse(read_text(work() / "both" / "summary.json"));
  EXPECT_EQ(summary["scenario"]["name"], ca == 0 ? "long" : "other");
  EXPECT_FALSE(staging_left(work()));
}

TEST_F(Unload, ADirectoryThatAppearsDuringARunIsNotReplaced) {
  write("long.toml", kMedium);
  Process run(work(), {"run", "long.toml", "--out", "late"}, "run", dir_);
  ASSERT_TRUE(wait_for_staging(work()));
  fs::create_directory(work() / "late");
  write("late/mine.txt", "precious");
  EXPECT_EQ(run.wait(), 2) << run.err();
  EXPECT_THAT(run.err(), HasSubstr("not replaced without --force"));
  EXPECT_EQ(read_text(work() / "late" / "mine.txt"), "precious");
  // The run's audit log (written in place) may be there too, if the directory appeared after the
  // run had begun writing it; none of the run's other outputs.
  for (const auto& name : names_in(work() / "late")) {
    EXPECT_TRUE(name == "mine.txt" || name == ".unload-output" || name == "audit.sqlite") << name;
  }
  EXPECT_FALSE(staging_left(work()));
}

// --- 8. --force replaces only what unload wrote ---

TEST_F(Unload, ForceNeverDeletesTheWorkingDirectoryOrFilesUnloadDidNotWrite) {
  // The reproducer: a scenario, a fake summary.json and notes in the working directory.
  write("w/short.toml", kShort);
  write("w/summary.json", "{}");
  write("w/notes.txt", "x");
  const Outcome o = unload("run short.toml --out . --force", work() / "w");
  EXPECT_EQ(o.exit_code, 2);
  expect_one_error_line(o, "force into .");
  EXPECT_EQ(names_in(work() / "w"),
            (std::vector<std::string>{"notes.txt", "short.toml", "summary.json"}));
  EXPECT_EQ(read_text(work() / "w" / "notes.txt"), "x");
}

TEST_F(Unload, ForceNeverReplacesADirectoryHoldingTheScenario) {
  write("short.toml", kShort);
  ASSERT_EQ(unload("run short.toml --out out1").exit_code, 0);
  // Running the run's own summary again into its own directory would delete the input.
  const Outcome o = unload("run out1/summary.json --out out1 --force");
  EXPECT_EQ(o.exit_code, 2);
  expect_one_error_line(o, "force onto the input");
  EXPECT_THAT(o.err, HasSubstr("an input of this run"));
  EXPECT_TRUE(fs::exists(work() / "out1" / "summary.json"));
}

TEST_F(Unload, ForceRefusesAnOldOutputHoldingFilesUnloadDidNotWrite) {
  write("short.toml", kShort);
  ASSERT_EQ(unload("run short.toml --out out1").exit_code, 0);
  write("out1/analysis.ipynb", "mine");
  const Outcome o = unload("run short.toml --out out1 --force");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("analysis.ipynb"));
  EXPECT_EQ(read_text(work() / "out1" / "analysis.ipynb"), "mine");
}

TEST_F(Unload, ForceReplacesAPreviousRunsOutputAndLeavesNothingBeside) {
  write("short.toml", kShort);
  ASSERT_EQ(unload("run short.toml --out out1").exit_code, 0);
  const auto marker = nlohmann::json::parse(read_text(work() / "out1" / ".unload-output"));
  EXPECT_EQ(marker["format"], "unload-output");
  EXPECT_EQ(marker["version"], 1);
  const Outcome o = unload("run short.toml --out out1 --force");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  // Nothing is left beside the output; the audit log in it holds both runs' records.
  EXPECT_EQ(names_in(work()), (std::vector<std::string>{"out1", "short.toml"}));
  EXPECT_EQ(names_in(work() / "out1"),
            (std::vector<std::string>{".unload-output", "alarms.csv", "audit.sqlite", "beats.csv",
                                      "summary.json", "waveforms.csv"}));
}

TEST_F(Unload, ForceReplacesTheOutputOfAnUnloadThatWroteNoMarker) {
  write("short.toml", kShort);
  ASSERT_EQ(unload("run short.toml --out out1").exit_code, 0);
  fs::remove(work() / "out1" / ".unload-output");  // as written before markers existed
  EXPECT_EQ(unload("run short.toml --out out1 --force").exit_code, 0);
  EXPECT_TRUE(fs::exists(work() / "out1" / ".unload-output"));
}

// `unload report` writes report.html.partial-PID and renames it; killed in between, it leaves the
// partial file. Once its process is gone, --force takes it for unload's and removes it with the
// rest; while it lives, it is someone's file.
TEST_F(Unload, ForceRemovesTheReportAKilledReportCommandLeft) {
  write("short.toml", kShort);
  ASSERT_EQ(unload("run short.toml --out out1").exit_code, 0);
  pid_t gone = ::fork();
  if (gone == 0) ::_exit(0);
  ::waitpid(gone, nullptr, 0);  // a pid whose process has ended
  write("out1/report.html.partial-" + std::to_string(gone), "<html>half");
  Outcome o = unload("run short.toml --out out1 --force");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_FALSE(fs::exists(work() / "out1" / ("report.html.partial-" + std::to_string(gone))));
  write("out1/report.html.partial-" + std::to_string(::getpid()), "<html>being written");
  o = unload("run short.toml --out out1 --force");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("report.html.partial-"));
}

// --- 9. symbolic links, killed runs, hangups and broken pipes ---

TEST_F(Unload, ASymbolicLinkAsTheOutputIsRefusedBeforeTheRun) {
  write("short.toml", kShort);
  ASSERT_EQ(unload("run short.toml --out real").exit_code, 0);
  fs::create_directory_symlink(work() / "real", work() / "link");
  const Outcome o = unload("run short.toml --out link --force");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("symbolic link"));
  EXPECT_EQ(names_in(work()), (std::vector<std::string>{"link", "real", "short.toml"}));
}

TEST_F(Unload, AnOldOutputThatCannotBeRemovedIsRefusedBeforeTheRun) {
  if (::geteuid() == 0) GTEST_SKIP() << "root may remove anything";
  write("short.toml", kShort);
  ASSERT_EQ(unload("run short.toml --out out1").exit_code, 0);
  fs::permissions(work() / "out1", fs::perms::owner_write, fs::perm_options::remove);
  const Outcome o = unload("run short.toml --out out1 --force");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("cannot be removed"));
  EXPECT_FALSE(staging_left(work()));
}

TEST_F(Unload, AStagingDirectoryLeftByAKilledRunIsRemovedByTheNextRun) {
  write("long.toml", kLong);
  write("short.toml", kShort);
  {
    Process run(work(), {"run", "long.toml", "--out", "out1"}, "killed", dir_);
    ASSERT_TRUE(wait_for_staging(work()));
    run.signal(SIGKILL);
    EXPECT_EQ(run.wait(), 128 + SIGKILL);
  }
  ASSERT_TRUE(staging_left(work()));
  const Outcome o = unload("run short.toml --out out2");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.err, HasSubstr("unload: note: removed"));
  EXPECT_FALSE(staging_left(work()));
}

TEST_F(Unload, AnOldStagingDirectoryWithoutItsMarkerIsRemovedWhenItsProcessIsGone) {
  // Killed between creating its staging directory and writing the marker: the name's pid (beyond
  // any pid Linux gives) is gone, and the directory is older than a minute.
  write("short.toml", kShort);
  const fs::path stale = work() / "out1.unload-staging-999999999-abcdef";
  fs::create_directory(stale);
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::minutes(5));
  const Outcome o = unload("run short.toml --out out2");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.err, HasSubstr("unload: note: removed"));
  EXPECT_FALSE(fs::exists(stale));
}

TEST_F(Unload, ARunningRunsStagingIsLeftAlone) {
  write("long.toml", kLong);
  write("short.toml", kShort);
  Process run(work(), {"run", "long.toml", "--out", "out1"}, "running", dir_);
  ASSERT_TRUE(wait_for_staging(work()));
  // Its marker names the process by pid and by its start time (field 22 of /proc/PID/stat), which
  // stays the same while the process lives, whatever memory it takes.
  for (const auto& name : names_in(work())) {
    if (name.find(".unload-staging-") == std::string::npos) continue;
    const auto marker = nlohmann::json::parse(read_text(work() / name / ".unload-output"));
    EXPECT_EQ(marker["pid"], run.pid());
    std::istringstream stat(
        read_text("/proc/" + std::to_string(run.pid()) + "/stat")
            .substr(read_text("/proc/" + std::to_string(run.pid()) + "/stat").rfind(')') + 2));
    std::string field;
    for (int k = 3; k <= 22; ++k) stat >> field;
    EXPECT_EQ(marker["process_start"], field);
  }
  const Outcome o = unload("run short.toml --out out2");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(staging_left(work()));  // the other run's, still writing
  run.signal(SIGTERM);
  EXPECT_EQ(run.wait(), 128 + SIGTERM);
  EXPECT_FALSE(staging_left(work()));
}

class Signalled : public Unload, public ::testing::WithParamInterface<int> {};

TEST_P(Signalled, ARunStopsPromptlyAndLeavesNoOutput) {
  write("long.toml", kLong);
  Process run(work(), {"run", "long.toml", "--out", "out1"}, "run", dir_);
  ASSERT_TRUE(wait_for_staging(work()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // inside the solve
  run.signal(GetParam());
  EXPECT_EQ(run.wait(), 128 + GetParam()) << run.err();
  EXPECT_THAT(run.err(), HasSubstr("interrupted by SIG"));
  EXPECT_EQ(count_lines(run.err()), 1u) << run.err();
  EXPECT_EQ(names_in(work()), std::vector<std::string>{"long.toml"});
}

TEST_P(Signalled, ASteadyStateComputationStopsAndSavesNoState) {
  Process steady(
      work(),
      {"steady", "--patient", "hfref", "--integrator", "reference", "--save-state", "s.json"},
      "steady", dir_);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  steady.signal(GetParam());
  EXPECT_EQ(steady.wait(), 128 + GetParam()) << steady.err();
  EXPECT_FALSE(fs::exists(work() / "s.json"));
  for (const auto& name : names_in(work())) EXPECT_THAT(name, ::testing::Not(HasSubstr("s.json")));
}

INSTANTIATE_TEST_SUITE_P(BySignal, Signalled, ::testing::Values(SIGINT, SIGTERM, SIGHUP, SIGPIPE),
                         [](const auto& info) {
                           switch (info.param) {
                             case SIGINT:
                               return std::string("Sigint");
                             case SIGTERM:
                               return std::string("Sigterm");
                             case SIGHUP:
                               return std::string("Sighup");
                             default:
                               return std::string("Sigpipe");
                           }
                         });

// --- 10. not applicable: an empty CSV field, null in JSON ---

TEST_F(Unload, ValuesThatDoNotApplyAreEmptyCsvFieldsAndJsonNulls) {
  write("iabp.toml",
        "[scenario]\npatient = \"normal\"\nduration = 10\n[[devices]]\nkind = \"iabp\"\n"
        "ratio = \"1:2\"\n");
  ASSERT_EQ(unload("run iabp.toml --out out1").exit_code, 0);
  const std::string beats = read_text(work() / "out1" / "beats.csv");
  EXPECT_THAT(beats, ::testing::Not(HasSubstr("nan")));
  std::istringstream lines(beats);
  std::string header, row;
  std::getline(lines, header);
  std::vector<std::string> columns;
  for (std::istringstream h(header); std::getline(h, row, ',');) columns.push_back(row);
  const auto column = static_cast<std::size_t>(
      std::find(columns.begin(), columns.end(), "augmented_dia_mmHg") - columns.begin());
  ASSERT_LT(column, columns.size());
  int empty = 0, rows = 0;
  while (std::getline(lines, row)) {
    std::vector<std::string> cells;
    std::string cell;
    for (std::istringstream r(row); std::getline(r, cell, ',');) cells.push_back(cell);
    if (!row.empty() && row.back() == ',') cells.emplace_back();
    ASSERT_EQ(cells.size(), columns.size()) << row;
    empty += cells[column].empty() ? 1 : 0;
    ++rows;
  }
  EXPECT_GT(rows, 0);
  EXPECT_GT(empty, 0) << "a 1:2 pump leaves beats without augmentation";
}

}  // namespace
