// Inputs that used to crash unload or be misread (issue 12, defects 1-3): every one is now refused
// where it enters with one InputError naming the file (and line and key where there is one) and
// what was expected. Scenario files, a run's summary.json, presets and state files alike.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "test_files.hpp"
#include "unload/core/error.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/run_setup.hpp"
#include "unload/io/scenario.hpp"
#include "unload/io/state_file.hpp"
#include "unload/sim/model.hpp"
#include "unload/sim/session.hpp"

namespace unload::io {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class Inputs : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = ::unload::testing::fresh_test_directory("unload-input-test"); }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text) {
    const fs::path file = dir_ / name;
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

  // The message of the InputError that `load` throws (test failure if it throws nothing else).
  template <class F>
  std::string error_of(F load) {
    try {
      load();
    } catch (const InputError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
      return message;
    }
    ADD_FAILURE() << "no InputError";
    return "";
  }
  std::string scenario_error(const std::string& text, const std::string& name = "s.toml") {
    const fs::path file = write(name, text);
    return error_of([&] { load_scenario(file); });
  }

  fs::path dir_;
};

constexpr const char* kHead = "[scenario]\npatient = \"normal\"\nduration = 2\n";
constexpr const char* kBeyond = "9007199254740993";  // 2^53 + 1: a double would read 2^53

// --- 1. integers beyond 2^53 ---

TEST_F(Inputs, AnEventTimeBeyondTwoToThe53IsRefusedNotAppliedAtZero) {
  const std::string m = scenario_error(
      std::string(kHead) + "[[devices]]\nkind = \"iabp\"\n[[events]]\ntime = " + kBeyond +
      "\ndevice = \"iabp\"\nratio = 2\n");
  EXPECT_THAT(m, HasSubstr((dir_ / "s.toml").string() + ":7:"));
  EXPECT_THAT(m, HasSubstr("events[0].time"));
  EXPECT_THAT(m, HasSubstr(kBeyond));
  EXPECT_THAT(m, HasSubstr("2^53"));
}

TEST_F(Inputs, ADeviceSettingBeyondTwoToThe53IsRefusedNotRunAtZero) {
  for (const char* device : {"kind = \"va-ecmo\"\nrpm = ", "kind = \"va-ecmo\"\nflow = ",
                             "kind = \"impella-cp\"\npurge_flow_mL_h = "}) {
    const std::string m =
        scenario_error(std::string(kHead) + "[[devices]]\n" + device + kBeyond + "\n");
    EXPECT_THAT(m, HasSubstr((dir_ / "s.toml").string() + ":6:")) << device;
    EXPECT_THAT(m, HasSubstr(kBeyond)) << device;
  }
}

TEST_F(Inputs, AnOverrideBeyondTwoToThe53IsRefusedNotStoredAsZero) {
  const std::string m = scenario_error(
      std::string(kHead) + "[overrides]\nleft_ventricle.dead_volume = " + kBeyond + "\n");
  EXPECT_THAT(m, HasSubstr((dir_ / "s.toml").string() + ":5:"));
  EXPECT_THAT(m, HasSubstr("left_ventricle.dead_volume"));
  EXPECT_THAT(m, HasSubstr("mL, got 9007199254740993"));
}

// A key given twice in a summary.json would run with its last value, silently.
TEST_F(Inputs, AJsonKeyGivenTwiceIsRefused) {
  const std::string m = scenario_error(
      R"({"rerun": {"scenario": {"patient": "normal", "duration": 60, "duration": 5}}})",
      "summary.json");
  EXPECT_THAT(m, HasSubstr("key 'rerun.scenario.duration': given twice in one object"));
}

// A start_state that cannot be read is the scenario's key's error, with its line.
TEST_F(Inputs, AMissingStartStateNamesTheScenarioLineAndKey) {
  const std::string m = scenario_error(std::string(kHead) + "start_state = \"nope.json\"\n");
  EXPECT_THAT(m, HasSubstr((dir_ / "s.toml").string() + ":4: key 'scenario.start_state': "));
  EXPECT_THAT(m, HasSubstr("nope.json: cannot read the state file: no such file"));
}

TEST_F(Inputs, ErrorsShowTheNumberAsWrittenNeverGarbage) {
  const std::string m =
      scenario_error("[scenario]\npatient = \"normal\"\nduration = 9223372036854775807\n");
  EXPECT_THAT(m, HasSubstr("got 9223372036854775807"));
  EXPECT_THAT(m, Not(HasSubstr("got 0")));
  EXPECT_THAT(m, Not(HasSubstr("e-3")));
}

TEST_F(Inputs, IntegersUpToTwoToThe53AreReadExactly) {
  const fs::path file =
      write("s.toml", std::string(kHead) +
                          "[[devices]]\nkind = \"va-ecmo\"\nrpm = 3500\n"
                          "[[events]]\ntime = 1\ndevice = \"va-ecmo\"\nrpm = 4000\n");
  const Scenario s = load_scenario(file);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].event.time_s, 1.0);
  EXPECT_EQ(s.events[0].event.value, 4000.0);
}

TEST_F(Inputs, APresetValueBeyondTwoToThe53IsRefusedWithItsLine) {
  const fs::path preset =
      write("p.toml", "[preset]\nname = \"p\"\nbase = \"" +
                          (fs::path(UNLOAD_TEST_DATA_DIR) / "patients" / "normal.toml").string() +
                          "\"\n[left_ventricle]\ndead_volume = { value = " + kBeyond +
                          ", unit = \"mL\", source = \"test\" }\n");
  const std::string m = error_of([&] { load_preset(preset.string()); });
  EXPECT_THAT(m, HasSubstr(preset.string() + ":5:"));
  EXPECT_THAT(m, HasSubstr("left_ventricle.dead_volume"));
  EXPECT_THAT(m, HasSubstr(kBeyond));
}

TEST_F(Inputs, ASummaryWhoseRerunHoldsAnIntegerBeyondTwoToThe53IsRefusedWithItsKey) {
  for (const std::string& number : {std::string(kBeyond), std::string("18446744073709551617"),
                                    std::string("-9007199254740993")}) {
    const fs::path file = write("summary.json", R"({"rerun": {"scenario": {"patient": "normal",
        "duration": 2}, "events": [{"time": )" + number +
                                                    R"(, "device": "iabp"}]}})");
    const std::string m = error_of([&] { load_scenario(file); });
    EXPECT_THAT(m, HasSubstr(file.string())) << number;
    EXPECT_THAT(m, HasSubstr("rerun.events[0].time")) << number;
    EXPECT_THAT(m, HasSubstr(number)) << number;
  }
}

// --- 2. absurd depth and size, refused before parsing ---

TEST_F(Inputs, ATableHeaderOfFortyThousandPartsIsRefusedNotACrash) {
  std::string header = "[a";
  for (int i = 1; i < 40000; ++i) header += ".a";
  const std::string m = scenario_error(header + "]\n");
  EXPECT_THAT(m, HasSubstr((dir_ / "s.toml").string() + ":1:"));
  EXPECT_THAT(m, HasSubstr("more than 16 dotted parts"));
}

TEST_F(Inputs, AnOverrideKeyOfTenThousandPartsIsRefusedNotACrash) {
  std::string key = "a";
  for (int i = 1; i < 10000; ++i) key += ".a";
  const std::string m = scenario_error(std::string(kHead) + "[overrides]\n" + key + " = 1\n");
  EXPECT_THAT(m, HasSubstr((dir_ / "s.toml").string() + ":5:"));
}

TEST_F(Inputs, DottedKeysUpToTheLimitAndDotsInStringsAndNumbersAreRead) {
  // 16 parts (the limit) is fine for the shape check; dots inside strings, comments and numbers
  // are not key parts.
  const std::string m = scenario_error(std::string(kHead) +
                                       "description = \"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r\"\n"
                                       "# a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r\n"
                                       "[overrides]\na.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p = 1.5\n");
  EXPECT_THAT(m, HasSubstr("unknown parameter 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p'"));
}

TEST_F(Inputs, ValuesNestedHundredsDeepAreRefused) {
  const std::string m =
      scenario_error(std::string(kHead) + "x = " + std::string(300, '[') + std::string(300, ']'));
  EXPECT_THAT(m, HasSubstr((dir_ / "s.toml").string() + ":4:"));
  EXPECT_THAT(m, HasSubstr("nested more than 32 deep"));
}

TEST_F(Inputs, APresetWithAKeyOfThousandsOfPartsIsRefused) {
  std::string key = "a";
  for (int i = 1; i < 40000; ++i) key += ".a";
  const fs::path preset = write("deep.toml", "[" + key + "]\n");
  const std::string m = error_of([&] { load_preset(preset.string()); });
  EXPECT_THAT(m, HasSubstr(preset.string() + ":1:"));
}

TEST_F(Inputs, JsonNestedHundredsOfThousandsDeepIsRefused) {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "{\"a\":";
  text += "1" + std::string(100000, '}');
  const fs::path file = write("summary.json", text);
  EXPECT_THAT(error_of([&] { load_scenario(file); }), HasSubstr("nested more than 32 deep"));
  const fs::path state = write("state.json", text);
  EXPECT_THAT(error_of([&] { read_state_file(state); }), HasSubstr("nested more than 32 deep"));
}

TEST_F(Inputs, AFileLargerThanTheLimitIsRefusedWithItsSize) {
  const fs::path file =
      write("big.toml", std::string(kHead) + "# " + std::string(5u << 20, 'x') + "\n");
  const std::string m = error_of([&] { load_scenario(file); });
  EXPECT_THAT(m, HasSubstr(file.string()));
  EXPECT_THAT(m, HasSubstr("at most 4194304 bytes"));
}

// --- 3. errors that name where and what ---

TEST_F(Inputs, TooLittleBloodForTheCirculationNamesTheFileAndLine) {
  const std::string m =
      scenario_error(std::string(kHead) + "[overrides]\nbody.total_blood_volume = 2000\n");
  EXPECT_THAT(m, HasSubstr((dir_ / "s.toml").string() + ":5:"));
  EXPECT_THAT(m, HasSubstr("smaller than the unstressed volume"));
}

TEST_F(Inputs, ADirectoryOrADeviceIsNamedForWhatItIsNotCalledMissing) {
  EXPECT_THAT(error_of([&] { load_scenario(dir_); }), HasSubstr("it is a directory"));
  EXPECT_THAT(error_of([&] { load_scenario("/dev/null"); }), HasSubstr("it is a device"));
  EXPECT_THAT(error_of([&] { read_state_file("/dev/null"); }), HasSubstr("it is a device"));
  EXPECT_THAT(error_of([&] { load_scenario(dir_ / "absent.toml"); }), HasSubstr("no such file"));
}

TEST_F(Inputs, AFifoIsRefusedWithoutWaitingForAWriter) {
  const fs::path fifo = dir_ / "fifo.toml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Opening a FIFO for reading would block until a writer came: these return at once.
  EXPECT_THAT(error_of([&] { load_preset(fifo.string()); }), HasSubstr("FIFO"));
  EXPECT_THAT(error_of([&] { load_scenario(fifo); }), HasSubstr("FIFO"));
  EXPECT_THAT(error_of([&] { read_state_file(fifo); }), HasSubstr("FIFO"));
  const fs::path scenario = write("s.toml", std::string(kHead) + "start_state = \"fifo.toml\"\n");
  EXPECT_THAT(error_of([&] { prepare_run(load_scenario(scenario)); }), HasSubstr("FIFO"));
}

TEST_F(Inputs, AStateFileWithGarbageWhereNumbersBelongIsRefusedWithTheKey) {
  // A real state file, then each of its parts replaced by something of the wrong kind.
  const auto model = std::make_shared<const sim::Model>(
      load_preset("normal"), std::vector<std::shared_ptr<const physio::DeviceBlock>>{},
      sim::SimulationOptions{});
  sim::Session session(model, sim::rest_state(*model));
  session.advance_beats(1);
  const fs::path file = dir_ / "state.json";
  write_state_file(file, session.save(), *model, "test");
  std::ifstream in(file);
  const nlohmann::json good = nlohmann::json::parse(in);
  const auto refused = [&](const nlohmann::json& doc) {
    const fs::path bad = write("bad.json", doc.dump());
    return error_of([&] { read_state_file(bad); });
  };
  nlohmann::json j = good;
  j["version"] = "one";
  EXPECT_THAT(refused(j), HasSubstr("version"));
  j = good;
  j["format"] = 3;
  EXPECT_THAT(refused(j), HasSubstr("not an unload state file"));
  j = good;
  j["model"]["numerics"]["max_step_s"] = -1;
  EXPECT_THAT(refused(j), HasSubstr("max_step_s"));
  j = good;
  j["model"]["numerics"]["max_step_s"] = "0.05";
  EXPECT_THAT(refused(j), HasSubstr("max_step_s"));
  const std::string text = good.dump();
  const auto at = text.find("\"beats\":");
  ASSERT_NE(at, std::string::npos);
  const fs::path big = write("bigint.json", text.substr(0, at) + "\"beats\":" + kBeyond + "," +
                                                text.substr(text.find(',', at) + 1));
  EXPECT_THAT(error_of([&] { read_state_file(big); }), HasSubstr(kBeyond));
}

TEST_F(Inputs, SavingAStateWhereNoFileCanBeIsRefusedBeforeTheRun) {
  EXPECT_THAT(error_of([&] { check_state_file_target(""); }), HasSubstr("expected a file name"));
  EXPECT_THAT(error_of([&] { check_state_file_target(dir_); }), HasSubstr("directory"));
  const fs::path fifo = dir_ / "fifo.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THAT(error_of([&] { check_state_file_target(fifo); }), HasSubstr("not a regular file"));
  EXPECT_THAT(error_of([&] { check_state_file_target(dir_ / std::string(250, 's')); }),
              HasSubstr("bytes"));
  EXPECT_THAT(error_of([&] { check_state_file_target(dir_ / "absent" / "s.json"); }),
              HasSubstr("no directory"));
}

}  // namespace
}  // namespace unload::io
