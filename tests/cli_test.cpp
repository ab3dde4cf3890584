// The `unload` command as scripts use it: exit codes, the JSON contract of `steady --json`, and the
// output directory of `run`. Runs the built binary (UNLOAD_BINARY) in a temporary directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "test_files.hpp"
#include "unload/io/state_file.hpp"
#include "unload/physio/circulation.hpp"
#include "unload/sim/beat_metrics.hpp"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

using unload::testing::Outcome;
using unload::testing::read_text;

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

class UnloadCommand : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = ::unload::testing::fresh_test_directory("unload-cli-test"); }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `unload ARGS` in dir_/work with stdout and stderr captured.
  Outcome unload(const std::string& args) {
    return ::unload::testing::run_program(UNLOAD_BINARY, dir_ / "work", args, dir_);
  }

  fs::path write(const std::string& name, const std::string& text) {
    const fs::path file = dir_ / "work" / name;
    std::ofstream(file) << text;
    return file;
  }

  fs::path work() const { return dir_ / "work"; }

  fs::path dir_;
};

const char* const kSmallScenario =
    "[scenario]\npatient = \"normal\"\nduration = 3\noutput_rate = 200\n";

// --- help and version ---

TEST_F(UnloadCommand, VersionNamesTheProjectVersionAndTheCommit) {
  const Outcome o = unload("--version");
  EXPECT_EQ(o.exit_code, 0);
  // e.g. "unload 0.1.0 (commit d1cfde6, 2026-11-29)": an abbreviated commit (7 or more hex digits,
  // "-dirty" with uncommitted changes) or "unknown" outside git, then the date of the build.
  const std::string prefix = "unload " UNLOAD_VERSION " ";
  ASSERT_THAT(o.out, StartsWith(prefix));
  const std::regex rest(R"(\(commit ([0-9a-f]{7,40}(-dirty)?|unknown), \d{4}-\d{2}-\d{2}\)\n)");
  EXPECT_TRUE(std::regex_match(o.out.substr(prefix.size()), rest)) << o.out;
}

TEST_F(UnloadCommand, HelpOfTheCommandAndEachSubcommandExitsZero) {
  for (const char* args :
       {"--help", "steady --help", "run --help", "bench --help", "list --help"}) {
    const Outcome o = unload(args);
    EXPECT_EQ(o.exit_code, 0) << args;
    EXPECT_THAT(o.out, HasSubstr("Usage")) << args;
  }
}

// --- parse errors are bad input: exit 2 ---

TEST_F(UnloadCommand, ParseErrorsExitTwo) {
  for (const char* args :
       {"", "frobnicate", "steady", "steady --patient normal --bogus",
        "steady --patient normal --integrator euler", "run", "bench --seconds -1",
        "compare " UNLOAD_SOURCE_DIR "/scenarios/hrpci_lm_pci.toml --variants 2 --seed -1",
        // Beyond 2^64 - 1 the conversion clamps (two seeds, one set of variants); beyond 2^53
        // compare.json's seed would not read back exactly as a double.
        "compare " UNLOAD_SOURCE_DIR
        "/scenarios/hrpci_lm_pci.toml --variants 2 --seed 18446744073709551616",
        "compare " UNLOAD_SOURCE_DIR
        "/scenarios/hrpci_lm_pci.toml --variants 2 --seed 9007199254740993"}) {
    const Outcome o = unload(args);
    EXPECT_EQ(o.exit_code, 2) << "unload " << args;
    EXPECT_THAT(o.err, StartsWith("unload: error: ")) << "unload " << args;
  }
}

// --- steady ---

// A state whose reflex oscillates over a few beats (shock on VA-ECMO at 4 L/min, docs/model.md
// section 6) is found by the longer mean, and said to be so; before, `unload steady` gave up.
TEST_F(UnloadCommand, SteadyFindsAnOscillatingReflexByItsLongerMean) {
  const Outcome o = unload("steady --patient shock --device va-ecmo --flow 4 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["steady_state_reached"], true);
  EXPECT_EQ(j["steady_state_oscillating"], true);
  EXPECT_GT(j["beats_to_steady"].get<int>(), 3000);  // after the first search's 3000 beats
  const Outcome plain = unload("steady --patient normal --json");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(nlohmann::json::parse(plain.out)["steady_state_oscillating"], false);
}

// A stenosis the patient lives with, read by the pressure wire at rest and under maximal
// vasodilation (the FFR); a bad --stenosis or --drug is one clear error, exit 2.
TEST_F(UnloadCommand, SteadyWithAStenosisReadsThePressureWire) {
  const Outcome rest = unload("steady --patient normal --stenosis LAD=0.75 --json");
  const Outcome hyper = unload("steady --patient normal --stenosis LAD=0.75 --hyperaemia --json");
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  ASSERT_EQ(hyper.exit_code, 0) << hyper.err;
  const auto r = nlohmann::json::parse(rest.out), h = nlohmann::json::parse(hyper.out);
  EXPECT_EQ(r["stenoses"], nlohmann::json({{"LAD", 0.75}}));
  EXPECT_EQ(h["hyperaemia"], true);
  EXPECT_EQ(r["pd_pa_lcx"].get<double>(), 1.0);
  // Resting Pd/Pa near RESOLVE's cut point, the FFR lower (about 0.79), the dPR between.
  EXPECT_GT(r["pd_pa_lad"].get<double>(), 0.88);
  EXPECT_LT(r["pd_pa_lad"].get<double>(), 0.93);
  EXPECT_LT(r["dpr_lad"].get<double>(), r["pd_pa_lad"].get<double>());
  EXPECT_GT(h["pd_pa_lad"].get<double>(), 0.72);
  EXPECT_LT(h["pd_pa_lad"].get<double>(), 0.84);
  const Outcome table = unload("steady --patient normal --stenosis LM=0.5 --drug dobutamine=5");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("With an LAD stenosis leaving 0.5 of its inflow conductance, "
                                   "an LCx stenosis leaving 0.5 of its inflow conductance, "
                                   "dobutamine 5 mcg/kg/min."));
  for (const char* args : {"--stenosis LAD=0", "--stenosis LAD=1.2", "--stenosis XYZ=0.5",
                           "--stenosis LAD", "--stenosis LAD=0.5x", "--drug aspirin=1",
                           "--drug norepinephrine=9", "--drug norepinephrine="}) {
    const Outcome o = unload(std::string("steady --patient normal ") + args);
    EXPECT_EQ(o.exit_code, 2) << args;
    EXPECT_THAT(o.err, StartsWith("unload: error: " + std::string(args).substr(0, 10))) << o.err;
    EXPECT_THAT(o.err, HasSubstr("expected")) << o.err;
    EXPECT_EQ(o.out, "") << args;
  }
}

TEST_F(UnloadCommand, SteadyJsonHasEveryContractKey) {
  const Outcome o = unload("steady --patient normal --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(count_lines(o.out), 1u) << "exactly one JSON object on one line";
  const auto json = nlohmann::json::parse(o.out);
  for (const char* key : {"hr_bpm",
                          "aop_sys_mmHg",
                          "aop_dia_mmHg",
                          "map_mmHg",
                          "co_L_min",
                          "co_native_L_min",
                          "ci_L_min_m2",
                          "sv_mL",
                          "lvedv_mL",
                          "lvesv_mL",
                          "ef_pct",
                          "lvedp_mmHg",
                          "lvesp_mmHg",
                          "dpdt_max_mmHg_s",
                          "pcwp_mmHg",
                          "rap_mmHg",
                          "pap_sys_mmHg",
                          "pap_dia_mmHg",
                          "pap_mean_mmHg",
                          "svr_wood",
                          "sw_mmHg_mL",
                          "pva_mmHg_mL",
                          "cpo_W",
                          "coronary_flow_mL_min",
                          "coronary_lad_mL_min",
                          "coronary_lcx_mL_min",
                          "coronary_rca_mL_min",
                          "cpp_mmHg",
                          "blood_volume_mL",
                          "beats_to_steady"}) {
    ASSERT_TRUE(json.contains(key)) << key;
    EXPECT_TRUE(json[key].is_number()) << key;
  }
  EXPECT_EQ(json["steady_state_reached"], true);
  EXPECT_EQ(json["patient"], "normal");
  EXPECT_THAT(json["notice"].get<std::string>(), HasSubstr("education and research"));
}

TEST_F(UnloadCommand, SteadyTableSaysFirstThatItIsASimulation) {
  const Outcome o = unload("steady --patient normal");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const std::string first_line = o.out.substr(0, o.out.find('\n'));
  EXPECT_THAT(first_line, HasSubstr("education and research"));
  EXPECT_THAT(o.out, HasSubstr("mean arterial pressure (MAP)"));
  EXPECT_THAT(o.out, HasSubstr("mmHg"));
}

TEST_F(UnloadCommand, SteadyOptionsReachTheSimulation) {
  const Outcome o = unload("steady --patient normal --no-baroreflex --integrator reference --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto json = nlohmann::json::parse(o.out);
  EXPECT_EQ(json["baroreflex_enabled"], false);
  EXPECT_EQ(json["integrator"], "reference");
}

// A data directory that is not one is named as the cause, not an empty list of presets.
TEST_F(UnloadCommand, AWrongDataDirectoryIsNamed) {
  ::setenv("UNLOAD_DATA_DIR", (dir_ / "nowhere").c_str(), 1);
  const Outcome o = unload("steady --patient normal");
  ::unsetenv("UNLOAD_DATA_DIR");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("UNLOAD_DATA_DIR=" + (dir_ / "nowhere").string() +
                               ": not unload's data directory"));
  EXPECT_EQ(count_lines(o.err), 1u) << o.err;
}

TEST_F(UnloadCommand, UnknownPresetExitsTwoWithOneLineNamingIt) {
  const Outcome o = unload("steady --patient nobody");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, StartsWith("unload: error: "));
  EXPECT_THAT(o.err, HasSubstr("nobody"));
  EXPECT_EQ(count_lines(o.err), 1u) << o.err;
  EXPECT_EQ(o.out, "");
}

// --- run ---

// The FFR-guided PCI of the scenario library: each adenosine infusion is one FFR reading, printed
// and in summary.json "ffr", read over its hyperaemic plateau.
TEST_F(UnloadCommand, RunReportsTheFfrOfEachAdenosineInfusion) {
  const fs::path scenario = fs::path(UNLOAD_SOURCE_DIR) / "scenarios" / "ffr_guided_lad_pci.toml";
  const Outcome o = unload("run " + scenario.string() + " --out ffr --report");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("FFR                adenosine 140 mcg/kg/min 60-150 s: LAD 0.72"));
  EXPECT_THAT(o.out, HasSubstr("2 inflations, 50 s in all"));  // the lesion is not one
  const auto summary = nlohmann::json::parse(read_text(work() / "ffr" / "summary.json"));
  const auto& ffr = summary["ffr"];
  ASSERT_EQ(ffr.size(), 2u);
  EXPECT_EQ(ffr[0]["start_s"], 60.0);
  EXPECT_EQ(ffr[0]["end_s"], 150.0);
  EXPECT_EQ(ffr[0]["from_s"], 120.0);
  EXPECT_GT(ffr[0]["beats"].get<int>(), 30);
  // Before the stent the LAD's lesion is significant (FFR 0.80 or less), and its resting Pd/Pa
  // was higher; the other wires read no lesion; after the stent, none.
  EXPECT_GT(ffr[0]["pd_pa"]["LAD"].get<double>(), 0.65);
  EXPECT_LT(ffr[0]["pd_pa"]["LAD"].get<double>(), 0.80);
  EXPECT_EQ(ffr[0]["pd_pa"]["RCA"].get<double>(), 1.0);
  EXPECT_EQ(ffr[1]["pd_pa"]["LAD"].get<double>(), 1.0);
  EXPECT_EQ(summary["procedure"]["inflations"], 2);
  // Every key a reading has is in `unload list`'s catalogue, and the catalogue has no other.
  const Outcome listed = unload("list procedure --json");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::vector<std::string> catalogue, written;
  const auto list = nlohmann::json::parse(listed.out);
  for (const auto& k : list["ffr"]) catalogue.push_back(k["key"]);
  for (const auto& [key, value] : ffr[0].items()) written.push_back(key);
  std::sort(catalogue.begin(), catalogue.end());
  EXPECT_EQ(written, catalogue);  // items() iterates in key order
  // The report shows them as a table.
  const std::string html = read_text(work() / "ffr" / "report.html");
  EXPECT_THAT(html, HasSubstr("Fractional flow reserve"));
  EXPECT_THAT(html, HasSubstr("<td>60-150 s</td><td class=\"num\">140</td>"));
  EXPECT_THAT(html, HasSubstr("<td class=\"num\">0.72</td>"));
}

TEST_F(UnloadCommand, RunWritesWaveformsBeatsAndSummary) {
  write("small.toml", kSmallScenario);
  const Outcome o = unload("run small.toml --out result");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("MAP"));

  std::string header = "t_s";
  for (const auto& c : unload::physio::observable_columns()) header.append(",").append(c.name);
  const std::string waveforms = read_text(work() / "result" / "waveforms.csv");
  EXPECT_THAT(waveforms, StartsWith(header + "\n"));
  EXPECT_GT(count_lines(waveforms), 500u);  // 3 s at 200 Hz

  std::string beats_header = "beat,start_s";
  for (const auto& f : unload::sim::metric_fields()) beats_header.append(",").append(f.name);
  const std::string beats = read_text(work() / "result" / "beats.csv");
  EXPECT_THAT(beats, StartsWith(beats_header + "\n"));
  EXPECT_GT(count_lines(beats), 1u);

  const auto summary = nlohmann::json::parse(read_text(work() / "result" / "summary.json"));
  EXPECT_EQ(summary["patient"], "normal");
  EXPECT_EQ(summary["unload_version"], UNLOAD_VERSION);
  EXPECT_GT(summary["beats"].get<int>(), 0);
  EXPECT_TRUE(summary["metrics"].contains("map_mmHg"));
  EXPECT_THAT(summary["notice"].get<std::string>(), HasSubstr("not for clinical decisions"));

  // Only the output directory is left behind (no staging directory), with the audit log in it.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(work())) ++entries;
  EXPECT_EQ(entries, 2);  // small.toml, result
  EXPECT_TRUE(fs::is_regular_file(work() / "result" / "audit.sqlite"));
}

// A run that kills the simulated patient says so: `run` prints when the circulation collapsed and
// summary.json has it (the test compare uses, sim::ProcedureMetrics::collapse_time_s); a run that
// does not collapse has null.
TEST_F(UnloadCommand, RunSaysWhenTheSimulatedCirculationCollapsed) {
  write("bleed.toml", R"([scenario]
patient = "hrpci"
duration = 100
output_rate = 20

[[events]]
time = 10
bleeding_mL_min = 6000
duration = 60
)");
  const Outcome o = unload("run bleed.toml --out bled");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("the simulated circulation collapsed at "));
  const auto summary = nlohmann::json::parse(read_text(work() / "bled" / "summary.json"));
  const double at = summary["procedure"]["collapse_time_s"].get<double>();
  EXPECT_GT(at, 10.0);
  EXPECT_LT(at, 40.0);

  write("small.toml", kSmallScenario);
  const Outcome fine = unload("run small.toml --out fine");
  ASSERT_EQ(fine.exit_code, 0) << fine.err;
  EXPECT_THAT(fine.out, Not(HasSubstr("collapsed")));
  const auto calm = nlohmann::json::parse(read_text(work() / "fine" / "summary.json"));
  EXPECT_TRUE(calm["procedure"]["collapse_time_s"].is_null());
}

TEST_F(UnloadCommand, RunWritesToOutScenarioNameByDefault) {
  write("small.toml", kSmallScenario);
  ASSERT_EQ(unload("run small.toml").exit_code, 0);
  EXPECT_TRUE(fs::exists(work() / "out" / "small" / "summary.json"));
  // Made again from that summary.json, by default beside it: out/small-rerun.
  const Outcome again = unload("run out/small/summary.json");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(read_text(work() / "out" / "small" / "beats.csv"),
            read_text(work() / "out" / "small-rerun" / "beats.csv"));
}

// The output line names the directory as the user can use it: relative under the working
// directory, absolute elsewhere (not "../other/result").
TEST_F(UnloadCommand, RunNamesItsOutputDirectoryAsAUsablePath) {
  write("small.toml", kSmallScenario);
  const Outcome inside = unload("run small.toml --out result/");
  ASSERT_EQ(inside.exit_code, 0) << inside.err;
  EXPECT_THAT(inside.out, HasSubstr("output             result/ ("));
  const fs::path elsewhere = dir_ / "elsewhere";
  const Outcome outside = unload("run small.toml --out " + elsewhere.string());
  ASSERT_EQ(outside.exit_code, 0) << outside.err;
  EXPECT_THAT(outside.out, HasSubstr("output             " + elsewhere.string() + "/ ("));
  EXPECT_THAT(outside.out, ::testing::Not(HasSubstr("../")));
}

TEST_F(UnloadCommand, BadScenarioExitsTwoAndCreatesNoOutputDirectory) {
  write("bad.toml", "[scenario]\npatient = \"normal\"\nduration = -5\n");
  const Outcome o = unload("run bad.toml");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("bad.toml:3"));
  EXPECT_THAT(o.err, HasSubstr("scenario.duration"));
  EXPECT_EQ(count_lines(o.err), 1u) << o.err;
  EXPECT_FALSE(fs::exists(work() / "out"));
}

TEST_F(UnloadCommand, ExistingOutputIsReplacedOnlyWithForce) {
  write("small.toml", kSmallScenario);
  ASSERT_EQ(unload("run small.toml --out result").exit_code, 0);
  const Outcome again = unload("run small.toml --out result");
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_THAT(again.err, HasSubstr("--force"));
  EXPECT_EQ(unload("run small.toml --out result --force").exit_code, 0);
  EXPECT_TRUE(fs::exists(work() / "result" / "summary.json"));
}

TEST_F(UnloadCommand, ForceDoesNotReplaceADirectoryThatIsNotARunsOutput) {
  write("small.toml", kSmallScenario);
  fs::create_directories(work() / "precious");
  write("precious/notes.txt", "keep me");
  EXPECT_EQ(unload("run small.toml --out precious --force").exit_code, 2);
  EXPECT_TRUE(fs::exists(work() / "precious" / "notes.txt"));
}

// --- bench ---

TEST_F(UnloadCommand, BenchJsonReportsRealTimeFactor) {
  const Outcome o = unload("bench --seconds 5 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto json = nlohmann::json::parse(o.out);
  EXPECT_DOUBLE_EQ(json["simulated_s"].get<double>(), 5.0);
  EXPECT_GT(json["real_time_factor"].get<double>(), 0.0);
  EXPECT_GT(json["wall_s"].get<double>(), 0.0);
}

TEST_F(UnloadCommand, BenchRepeatsAndReportsTheMedian) {
  const Outcome o = unload("bench --seconds 2 --repeat 3 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto json = nlohmann::json::parse(o.out);
  auto factors = json["real_time_factors"].get<std::vector<double>>();
  ASSERT_EQ(factors.size(), 3u);
  std::sort(factors.begin(), factors.end());
  EXPECT_DOUBLE_EQ(json["real_time_factor"].get<double>(), factors[1]);
  EXPECT_EQ(unload("bench --repeat 0").exit_code, 2);
}

// --- support devices ---

// A VA-ECMO target the circuit cannot deliver (the pump at its highest speed, the drainage
// sucking) is said, not silently run short; a reachable one gives no note.
TEST_F(UnloadCommand, SteadySaysWhenVaEcmoFallsShortOfItsTargetFlow) {
  Outcome o = unload("steady --patient hrpci --device va-ecmo --flow 7 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  auto json = nlohmann::json::parse(o.out);
  ASSERT_EQ(json["notes"].size(), 1u) << o.out;
  EXPECT_THAT(json["notes"][0].get<std::string>(),
              HasSubstr("did not reach its target flow of 7 L/min"));
  EXPECT_LT(json["ecmo_flow_L_min"].get<double>(), 0.9 * 7);
  o = unload("steady --patient hrpci --device va-ecmo --flow 3");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, Not(HasSubstr("did not reach")));
}

// The open-loop shock patient settles at a MAP no patient survives: a steady state, and a note.
TEST_F(UnloadCommand, SteadySaysWhenItsSteadyStateIsNotViable) {
  const Outcome o = unload("steady --patient shock --no-baroreflex --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto json = nlohmann::json::parse(o.out);
  ASSERT_LT(json["map_mmHg"].get<double>(), 40.0);
  ASSERT_EQ(json["notes"].size(), 1u) << o.out;
  EXPECT_THAT(json["notes"][0].get<std::string>(), HasSubstr("could not sustain the patient"));
  const Outcome viable = unload("steady --patient shock --json");
  EXPECT_TRUE(nlohmann::json::parse(viable.out)["notes"].empty()) << viable.out;
}

// BOOST ends after 5 minutes; a steady state found later is at P-8, and steady says so.
TEST_F(UnloadCommand, SteadySaysWhenTheConsoleEndedTheLevelAskedFor) {
  const Outcome o = unload("steady --patient normal --device impella-5.5 --level BOOST --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto json = nlohmann::json::parse(o.out);
  ASSERT_GT(json["beats_to_steady"].get<int>(), 300) << "found within BOOST's 5 minutes";
  ASSERT_EQ(json["notes"].size(), 1u) << o.out;
  EXPECT_THAT(json["notes"][0].get<std::string>(),
              HasSubstr("the console ended the level asked for (33000 rpm)"));
  EXPECT_THAT(json["notes"][0].get<std::string>(), HasSubstr("these numbers are at P-8"));
}

TEST_F(UnloadCommand, SteadyWithAMicroAxialPumpReportsItsMetrics) {
  const Outcome o = unload("steady --patient hfref --device impella-cp --level P8 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto json = nlohmann::json::parse(o.out);
  for (const char* key : {"pump_flow_L_min", "pump_speed_rpm", "motor_current_mA",
                          "purge_pressure_mmHg", "haemolysis_index"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_GT(json["pump_flow_L_min"].get<double>(), 2.0);
  EXPECT_NEAR(json["pump_speed_rpm"].get<double>(), 43100.0, 500.0);  // CP P-8, data file
  EXPECT_GT(json["co_L_min"].get<double>(), json["co_native_L_min"].get<double>());
}

TEST_F(UnloadCommand, SteadyCombinesVaEcmoAndAMicroAxialPump) {
  const Outcome o = unload(
      "steady --patient shock --device va-ecmo --rpm 3500 --device impella-cp --level P4 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto json = nlohmann::json::parse(o.out);
  EXPECT_GT(json["ecmo_flow_L_min"].get<double>(), 0.5);
  EXPECT_GT(json["pump_flow_L_min"].get<double>(), 0.5);
}

TEST_F(UnloadCommand, BadDeviceSettingsAreOneClearErrorAndExitTwo) {
  for (const auto& [args, expected] : std::vector<std::pair<std::string, std::string>>{
           {"--device impella-9", "unknown device 'impella-9'"},
           {"--device impella-2.5 --level P9", "P9"},
           {"--device iabp --ratio 2:1", "1:2"},
           {"--level P8", "name the device first"},
           {"--device impella-cp --level P8 --level P4", "give each setting once"},
           {"--device impella-cp --level P8 --rpm 30000", "(level P8 set it before)"},
           {"--device va-ecmo --rpm fast", "fast"}}) {
    const Outcome o = unload("steady --patient normal " + args);
    EXPECT_EQ(o.exit_code, 2) << args;
    EXPECT_THAT(o.err, HasSubstr(expected)) << args;
    EXPECT_EQ(count_lines(o.err), 1u) << args << ": " << o.err;
    EXPECT_TRUE(o.out.empty()) << args;
  }
}

TEST_F(UnloadCommand, ScenarioEventsChangeDeviceSettingsDuringTheRun) {
  write("pump.toml", R"(
[scenario]
patient = "hrpci"
duration = 20
output_rate = 50

[[devices]]
kind = "impella-cp"
level = "P8"

[[events]]
time = 10
device = "impella-cp"
level = "P2"
)");
  const Outcome o = unload("run pump.toml --out out");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  std::ifstream beats(work() / "out" / "beats.csv");
  std::string header, line;
  std::getline(beats, header);
  EXPECT_THAT(header, HasSubstr("pump_flow_L_min"));
  const std::string waves = read_text(work() / "out" / "waveforms.csv");
  EXPECT_THAT(waves.substr(0, waves.find('\n')), HasSubstr("impella-cp.motor_current_mA"));
  const auto summary = nlohmann::json::parse(read_text(work() / "out" / "summary.json"));
  EXPECT_EQ(summary["devices"][0], "impella-cp");
  // After the event the pump runs at P-2 (25,900 rpm in the CP data file), not P-8.
  EXPECT_LT(summary["metrics"]["pump_speed_rpm"].get<double>(), 30000.0);
}

TEST_F(UnloadCommand, ScenarioEventForADeviceNotAttachedIsAnError) {
  write("bad.toml", R"(
[scenario]
patient = "normal"
duration = 5

[[events]]
time = 1
device = "iabp"
ratio = "1:2"
)");
  const Outcome o = unload("run bad.toml --out out");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("bad.toml:"));
  EXPECT_THAT(o.err, HasSubstr("not attached"));
  EXPECT_FALSE(fs::exists(work() / "out"));
}

// --- list ---

TEST_F(UnloadCommand, ListJsonNamesEveryPresetDeviceMetricColumnAndScenarioKey) {
  const Outcome o = unload("list --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(count_lines(o.out), 1u);
  const auto json = nlohmann::json::parse(o.out);
  std::vector<std::string> patients;
  for (const auto& p : json["patients"]) {
    patients.push_back(p["name"]);
    EXPECT_FALSE(p["description"].get<std::string>().empty()) << p["name"];
  }
  for (const char* p : {"normal", "hfref", "shock", "hrpci"}) {
    EXPECT_NE(std::find(patients.begin(), patients.end(), p), patients.end()) << p;
  }
  std::vector<std::string> kinds;
  for (const auto& d : json["devices"]) {
    kinds.push_back(d["kind"]);
    EXPECT_FALSE(d["settings"].empty()) << d["kind"];
    for (const auto& setting : d["settings"]) {
      EXPECT_TRUE(setting["unit"].is_string());
      EXPECT_LE(setting["min"].get<double>(), setting["max"].get<double>());
    }
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"impella-2.5", "impella-cp", "impella-5.5", "iabp",
                                             "va-ecmo"}));
  // The pump's speed takes the words level and rpm; the ECMO's flow takes flow.
  const auto& cp = json["devices"][1];
  EXPECT_EQ(cp["settings"][0]["name"], "speed_rpm");
  EXPECT_EQ(cp["settings"][0]["words"], nlohmann::json::array({"level", "rpm"}));
  EXPECT_EQ(json["metrics"].size(), unload::sim::metric_fields().size());
  EXPECT_EQ(json["columns"].size(), unload::physio::observable_columns().size() + 1);
  bool start = false;
  for (const auto& k : json["scenario_keys"]) start = start || k["key"] == "start";
  EXPECT_TRUE(start);
}

TEST_F(UnloadCommand, ValidatePrintsEachCaseWithSourcePublishedSimulatedAndVerdict) {
  const Outcome o = unload("validate cheng2009");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  for (const char* id : {"cheng2009.ci", "cheng2009.map", "cheng2009.pcwp"}) {
    const auto at = o.out.find(id);
    ASSERT_NE(at, std::string::npos) << o.out;
    const std::string line =
        o.out.substr(o.out.rfind('\n', at) + 1, o.out.find('\n', at) - o.out.rfind('\n', at) - 1);
    EXPECT_EQ(line.rfind("PASS", 0), 0u) << line;
    EXPECT_NE(line.find("simulated"), std::string::npos) << line;
    EXPECT_NE(line.find("published"), std::string::npos) << line;
    EXPECT_NE(line.find("Cheng et al., Eur Heart J 2009"), std::string::npos) << line;
  }
  EXPECT_NE(o.out.find("3 cases: 3 pass, 0 fail"), std::string::npos) << o.out;
  const Outcome j = unload("validate prondzinsky --json");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["cases"][0]["id"], "prondzinsky2010.ci");
  EXPECT_EQ(doc["cases"][0]["result"], "PASS");
  EXPECT_TRUE(doc["cases"][0]["simulated"].is_number());
}

TEST_F(UnloadCommand, ValidateUnknownCaseExitsTwoNamingIt) {
  const Outcome o = unload("validate no-such-case");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("no-such-case"), std::string::npos) << o.err;
  EXPECT_TRUE(o.out.empty()) << o.out;
}

TEST_F(UnloadCommand, DocsOutputsIsWhatListMarkdownPrints) {
  const Outcome o = unload("list --markdown");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(read_text(fs::path(UNLOAD_SOURCE_DIR) / "docs" / "outputs.md"), o.out)
      << "docs/outputs.md is out of date: build/<preset>/apps/unload/unload list --markdown > "
         "docs/outputs.md";
}

// --- how a run starts, and runs made again ---

TEST_F(UnloadCommand, RunStartsFromTheSteadyStateUnlessAskedToStartAtRest) {
  write("steady.toml", kSmallScenario);
  write("rest.toml", std::string(kSmallScenario) + "start = \"rest\"\n");
  ASSERT_EQ(unload("run steady.toml --out a").exit_code, 0);
  const Outcome rest = unload("run rest.toml --out b");
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  const auto a = nlohmann::json::parse(read_text(work() / "a" / "summary.json"));
  const auto b = nlohmann::json::parse(read_text(work() / "b" / "summary.json"));
  EXPECT_EQ(a["start"]["kind"], "steady");
  EXPECT_EQ(a["start"]["steady_state_reached"], true);
  EXPECT_GT(a["start"]["beats_to_steady"].get<int>(), 20);
  EXPECT_EQ(b["start"]["kind"], "rest");
  EXPECT_THAT(rest.out, HasSubstr("from rest"));
  // Beat 0 (second line of beats.csv): MAP near 90 from the steady state, far below from rest.
  auto first_map = [this](const char* dir) {
    std::ifstream beats(work() / dir / "beats.csv");
    std::string header, row;
    std::getline(beats, header);
    std::getline(beats, row);
    std::vector<std::string> h, r;
    std::stringstream hs(header), rs(row);
    for (std::string c; std::getline(hs, c, ',');) h.push_back(c);
    for (std::string c; std::getline(rs, c, ',');) r.push_back(c);
    const auto i = std::find(h.begin(), h.end(), "map_mmHg") - h.begin();
    return std::stod(r.at(static_cast<std::size_t>(i)));
  };
  EXPECT_GT(first_map("a"), 85.0);
  EXPECT_LT(first_map("b"), 60.0);
}

TEST_F(UnloadCommand, ARunMadeAgainFromItsSummaryGivesIdenticalOutputs) {
  write("pump.toml", R"(
[scenario]
patient = "hrpci"
duration = 8
output_rate = 100

[overrides]
left_ventricle.end_systolic_elastance = 1.1

[[devices]]
kind = "impella-cp"
level = "P6"
purge_flow_mL_h = 12

[[events]]
time = 3.25
device = "impella-cp"
level = "P2"

[[events]]
time = 5
device = "impella-cp"
position = "ventricle"
)");
  ASSERT_EQ(unload("run pump.toml --out first").exit_code, 0);
  const auto summary = nlohmann::json::parse(read_text(work() / "first" / "summary.json"));
  EXPECT_FALSE(summary["git_commit"].get<std::string>().empty());
  EXPECT_EQ(summary["events"].size(), 2u);
  EXPECT_EQ(summary["device_settings"][0]["settings"]["purge_flow_mL_h"], 12.0);
  EXPECT_EQ(summary["device_settings"][0]["console"], "operator console");
  // Made again from its summary.json, elsewhere: the same waveforms and beats, byte for byte.
  fs::create_directories(work() / "elsewhere");
  const Outcome again = unload("run first/summary.json --out elsewhere/second");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  for (const char* file : {"waveforms.csv", "beats.csv"}) {
    EXPECT_EQ(read_text(work() / "first" / file), read_text(work() / "elsewhere/second" / file))
        << file;
  }
  const auto second = nlohmann::json::parse(read_text(work() / "elsewhere/second/summary.json"));
  EXPECT_EQ(second["rerun"], summary["rerun"]);
  EXPECT_EQ(second["model_fingerprint"], summary["model_fingerprint"]);
  // A run made without the pump's console is made again without it.
  ASSERT_EQ(unload("run pump.toml --no-console --out bare").exit_code, 0);
  ASSERT_EQ(unload("run bare/summary.json --out bare-again").exit_code, 0);
  EXPECT_EQ(read_text(work() / "bare" / "waveforms.csv"),
            read_text(work() / "bare-again" / "waveforms.csv"));
  EXPECT_NE(read_text(work() / "bare" / "waveforms.csv"),
            read_text(work() / "first" / "waveforms.csv"));
}

// A pump whose console started in AUTO is made again in AUTO (its speed in summary.json would be
// read as the operator's level): the same waveforms, byte for byte.
TEST_F(UnloadCommand, ARunWithAPumpInAutoIsMadeAgainInAuto) {
  write("auto.toml",
        "[scenario]\npatient = \"hrpci\"\nduration = 3\n[[devices]]\nkind = \"impella-cp\"\n");
  ASSERT_EQ(unload("run auto.toml --out first").exit_code, 0);
  const auto summary = nlohmann::json::parse(read_text(work() / "first" / "summary.json"));
  EXPECT_FALSE(summary["rerun"]["devices"][0].contains("speed_rpm"));
  const Outcome again = unload("run first/summary.json --out second");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(read_text(work() / "first" / "waveforms.csv"),
            read_text(work() / "second" / "waveforms.csv"));
}

// A summary.json written before a patient parameter existed lacks it: running it again would take
// the preset's value of today, not the run's, so it is refused, naming the key.
TEST_F(UnloadCommand, ASummaryThatLacksAPatientParameterIsRefusedNamingIt) {
  write("small.toml", kSmallScenario);
  ASSERT_EQ(unload("run small.toml --out first").exit_code, 0);
  auto summary = nlohmann::json::parse(read_text(work() / "first" / "summary.json"));
  ASSERT_EQ(summary["rerun"]["patient_parameters"].erase("baroreflex.high_cut_time_constant"), 1u);
  fs::create_directories(work() / "old");
  write("old/summary.json", summary.dump(2));
  const Outcome o = unload("run old/summary.json --out again");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("summary.json"));
  EXPECT_THAT(o.err, HasSubstr("patient_parameters.baroreflex.high_cut_time_constant': missing"));
  EXPECT_EQ(count_lines(o.err), 1u) << o.err;
  EXPECT_FALSE(fs::exists(work() / "again"));
}

TEST_F(UnloadCommand, AStateFileWithWrongTypesOrTamperedFieldsIsOneClearError) {
  ASSERT_EQ(unload("steady --patient normal --save-state s.json --json").exit_code, 0);
  const std::string good = read_text(work() / "s.json");
  write("run.toml", std::string(kSmallScenario) + "start_state = \"t.json\"\n");
  auto tampered = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    write("t.json", text);
    return unload("run run.toml --out out");
  };
  const std::string version = std::to_string(unload::io::kStateFileVersion);
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\"version\": " + version, "\"version\": \"" + version + "\""},
           {"\"description\": \"", "\"description\": 5, \"x\": \""},
           {"\"format\": \"unload-state\"", "\"format\": 7"}}) {
    const Outcome o = tampered(from, to);
    EXPECT_EQ(o.exit_code, 2) << to << ": " << o.err;
    EXPECT_THAT(o.err, HasSubstr("t.json")) << to;
    EXPECT_EQ(count_lines(o.err), 1u) << o.err;
    EXPECT_FALSE(fs::exists(work() / "out"));
  }
  // An edited number is refused by the State's checks (or by its fingerprint).
  auto j = nlohmann::json::parse(good);
  j["state"]["restart.inputs.efferent_history.interval_s"] = {0.0};
  write("t.json", j.dump());
  Outcome o = unload("run run.toml --out out");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("t.json"));
  j["state"]["restart.inputs.efferent_history.interval_s"] = {0.02};
  j["state"]["restart.y"][0] = 1e9;  // a number the checks accept: caught by the fingerprint
  write("t.json", j.dump());
  o = unload("run run.toml --out out");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("fingerprint"));
  j["state"]["restart.inputs.efferent_history.interval_s"] = {0.0};
  j.erase("state_fingerprint");
  write("t.json", j.dump());
  o = unload("run run.toml --out out");
  EXPECT_EQ(o.exit_code, 2) << o.err;
  EXPECT_THAT(o.err, HasSubstr("delay line"));
  EXPECT_FALSE(fs::exists(work() / "out"));
}

// A saved state with a stenosis: a balloon there would deflate to an open artery unless the
// scenario writes the stenosis, so a scenario that does not is refused (one error, nothing
// written); written at time 0, the balloon deflates back to it and the lesion is no inflation.
TEST_F(UnloadCommand, ASavedStenosisMustBeWrittenBeforeABalloonInItsArtery) {
  ASSERT_EQ(unload("steady --patient normal --stenosis LAD=0.75 --save-state lad.json").exit_code,
            0);
  const std::string head =
      "[scenario]\npatient = \"normal\"\nduration = 90\nstart_state = \"lad.json\"\n";
  const std::string balloon = "[[events]]\ntime = 30\nballoon = \"LAD\"\nduration = 20\n";
  write("open.toml", head + balloon);
  const Outcome refused = unload("run open.toml --out open");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("open.toml: the balloon in the LAD (open.toml:5) would "
                                     "deflate to an open artery"));
  EXPECT_THAT(refused.err, HasSubstr("stenosis = \"LAD\", residual = 0.75"));
  EXPECT_EQ(count_lines(refused.err), 1u) << refused.err;
  EXPECT_FALSE(fs::exists(work() / "open"));
  write("kept.toml",
        head + "[[events]]\ntime = 0\nstenosis = \"LAD\"\nresidual = 0.75\n" + balloon);
  const Outcome kept = unload("run kept.toml --out kept");
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_THAT(kept.out, HasSubstr("1 inflation, 20 s in all"));
  const std::string beats = read_text(work() / "kept" / "beats.csv");
  const auto last = beats.substr(beats.rfind('\n', beats.size() - 2) + 1);
  const auto header = beats.substr(0, beats.find('\n'));
  // The last beat's pd_pa_lad: the lesion is still there after the deflation.
  std::vector<std::string> names, values;
  std::stringstream hs(header), ls(last);
  for (std::string x; std::getline(hs, x, ',');) names.push_back(x);
  for (std::string x; std::getline(ls, x, ',');) values.push_back(x);
  const auto at = std::find(names.begin(), names.end(), "pd_pa_lad") - names.begin();
  ASSERT_LT(static_cast<std::size_t>(at), values.size());
  EXPECT_LT(std::stod(values[at]), 0.95);
}

TEST_F(UnloadCommand, ASavedSteadyStateStartsARunAndAnotherPatientsIsRefused) {
  const Outcome saved = unload("steady --patient hfref --save-state hfref.state.json --json");
  ASSERT_EQ(saved.exit_code, 0) << saved.err;
  EXPECT_TRUE(fs::exists(work() / "hfref.state.json"));
  write("from_state.toml", R"(
[scenario]
patient = "hfref"
duration = 3
start_state = "hfref.state.json"

[[devices]]
kind = "impella-cp"
level = "P8"
)");
  const Outcome o = unload("run from_state.toml --out out");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("hfref.state.json"));
  const auto summary = nlohmann::json::parse(read_text(work() / "out" / "summary.json"));
  EXPECT_EQ(summary["start"]["kind"], "state_file");
  EXPECT_EQ(summary["start"]["same_model"], false);  // the pump was attached at t = 0

  write("wrong.toml",
        "[scenario]\npatient = \"normal\"\nduration = 3\nstart_state = \"hfref.state.json\"\n");
  const Outcome wrong = unload("run wrong.toml --out out2");
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_THAT(wrong.err, HasSubstr("wrong.toml"));
  EXPECT_THAT(wrong.err, HasSubstr("another patient"));
  EXPECT_EQ(count_lines(wrong.err), 1u) << wrong.err;
  EXPECT_FALSE(fs::exists(work() / "out2"));

  write("both.toml",
        std::string(kSmallScenario) + "start = \"rest\"\nstart_state = \"hfref.state.json\"\n");
  const Outcome both = unload("run both.toml --out out3");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.err, HasSubstr("not both"));

  write("not_a_state.json", "{\"format\": \"something else\"}");
  write("bad_state.toml", std::string(kSmallScenario) + "start_state = \"not_a_state.json\"\n");
  const Outcome bad = unload("run bad_state.toml --out out4");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("not an unload state file"));
}

TEST_F(UnloadCommand, ASaveStateWithNowhereToGoIsRefusedBeforeTheRun) {
  const Outcome o = unload("steady --patient normal --save-state no/such/dir/x.json");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("--save-state"));
  EXPECT_THAT(o.err, HasSubstr("no directory"));
  EXPECT_TRUE(o.out.empty());
}

TEST_F(UnloadCommand, TwoDevicesOfOneFamilyAreRefusedWithTheReason) {
  const Outcome o =
      unload("steady --patient normal --device impella-cp --device impella-2.5 --level P2");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("aortic valve"));
  EXPECT_EQ(count_lines(o.err), 1u) << o.err;
}

// A console input in the scenario cannot reach a pump run bare: the error names the event's line.
TEST_F(UnloadCommand, AConsoleInputForABarePumpNamesItsLine) {
  write("pump.toml",
        "[scenario]\npatient = \"hrpci\"\nduration = 2\n[[devices]]\nkind = \"impella-cp\"\n"
        "level = \"P8\"\n\n[[events]]\ntime = 1\nconsole = \"acknowledge\"\n");
  const Outcome o = unload("run pump.toml --no-console --out bare");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("pump.toml:10: "));
  EXPECT_THAT(o.err, HasSubstr("no console attached"));
  EXPECT_EQ(count_lines(o.err), 1u) << o.err;
  EXPECT_FALSE(fs::exists(work() / "bare"));
}

TEST_F(UnloadCommand, EventsOutOfTimeOrderAreAnError) {
  write("order.toml", R"(
[scenario]
patient = "normal"
duration = 10

[[devices]]
kind = "impella-cp"

[[events]]
time = 6
device = "impella-cp"
level = "P2"

[[events]]
time = 3
device = "impella-cp"
level = "P4"
)");
  const Outcome o = unload("run order.toml --out out");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("order.toml:"));
  EXPECT_THAT(o.err, HasSubstr("time order"));
  EXPECT_FALSE(fs::exists(work() / "out"));
}

}  // namespace

// --- the pump's console: alarms.csv, steady's console keys, console replay ---

namespace {
const char* const kPumpScenario =
    "[scenario]\npatient = \"hrpci\"\nduration = 60\noutput_rate = 100\n\n[[devices]]\nkind = "
    "\"impella-cp\"\nlevel = \"P8\"\n\n[[events]]\ntime = 20\nfault = \"motor_failure\"\n"
    "\n[[events]]\ntime = 30\nconsole = \"acknowledge\"\n";
}

TEST_F(UnloadCommand, RunWritesAlarmsCsvWithTheConsolesAlarms) {
  write("pump.toml", kPumpScenario);
  const Outcome o = unload("run pump.toml --out out");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const std::string csv = read_text(work() / "out" / "alarms.csv");
  EXPECT_THAT(csv, StartsWith("time_s,device,alarm,priority,event,text\n"));
  EXPECT_THAT(csv, HasSubstr(",impella-cp,pump_stopped,critical,raised,Impella Stopped"));
  EXPECT_THAT(csv, HasSubstr("30,impella-cp,pump_stopped,critical,acknowledged,"));
  EXPECT_THAT(o.out, HasSubstr("console alarms     1 critical"));
  const auto summary = nlohmann::json::parse(read_text(work() / "out" / "summary.json"));
  EXPECT_EQ(summary["console"]["alarms_critical"], 1);
  // The audit log holds the alarm and the acknowledgement.
  const Outcome audit = unload("audit out/audit.sqlite --csv");
  EXPECT_THAT(audit.out, HasSubstr("alarm_raised"));
  EXPECT_THAT(audit.out, HasSubstr("alarm_acknowledged"));
}

TEST_F(UnloadCommand, SteadyJsonShowsWhatTheConsoleEstimates) {
  const Outcome o = unload("steady --patient hrpci --device impella-cp --level P8 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto j = nlohmann::json::parse(o.out);
  EXPECT_NEAR(j["displayed_flow_L_min"].get<double>(), j["pump_flow_L_min"].get<double>(),
              std::max(0.3, 0.1 * j["pump_flow_L_min"].get<double>()));
  EXPECT_NEAR(j["lvedp_estimate_mmHg"].get<double>(), j["lvedp_mmHg"].get<double>(), 5.0);
  EXPECT_GT(j["cpo_estimate_W"].get<double>(), 0.0);
  EXPECT_EQ(j["placement"], "correct");
  const Outcome bare =
      unload("steady --patient hrpci --device impella-cp --level P8 --json --no-console");
  EXPECT_FALSE(nlohmann::json::parse(bare.out).contains("displayed_flow_L_min"));
}

TEST_F(UnloadCommand, ConsoleReplayOfARunsWaveformsRaisesTheSameAlarm) {
  write("pump.toml", kPumpScenario);
  ASSERT_EQ(unload("run pump.toml --out out").exit_code, 0);
  const Outcome o = unload("console replay out/waveforms.csv --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["device"], "impella-cp");
  EXPECT_EQ(j["alarms_critical"], 1);
  bool stopped = false;
  for (const auto& m : j["messages"]) {
    if (m.value("name", "") == "pump_stopped" && m.value("event", "") == "raised") {
      stopped = true;
      EXPECT_NEAR(m["time_s"].get<double>(), 20.5, 0.2);
    }
  }
  EXPECT_TRUE(stopped);
  // The waveform estimates behind the display: an LV pressure and a forward pump flow while the
  // pump runs, none once its rotor has stopped.
  int running = 0, stopped_rows = 0;
  for (const auto& e : j["estimates"]) {
    const double t = e["time_s"].get<double>();
    if (t > 5 && t < 19) {
      ASSERT_TRUE(e["lv_pressure_estimate_mmHg"].is_number()) << "t = " << t;
      EXPECT_GT(e["lv_pressure_estimate_mmHg"].get<double>(), -30.0) << "t = " << t;
      EXPECT_LT(e["lv_pressure_estimate_mmHg"].get<double>(), 200.0) << "t = " << t;
      EXPECT_GT(e["pump_flow_estimate_mL_s"].get<double>(), 0.0) << "t = " << t;
      ++running;
    } else if (t > 25 && e["lv_pressure_estimate_mmHg"].is_null()) {
      ++stopped_rows;
    }
  }
  EXPECT_GT(running, 0);
  EXPECT_GT(stopped_rows, 0);
}

TEST_F(UnloadCommand, ConsoleReplayRefusesBadFilesWithLineAndColumn) {
  const std::string head =
      "t_s,placement_signal_mmHg,motor_current_mA,motor_speed_rpm,purge_pressure_mmHg,"
      "purge_flow_mL_h\n";
  struct Case {
    const char* name;
    std::string text;
    const char* expected;
  };
  const Case cases[] = {
      {"missing.csv", "t_s,motor_current_mA\n0,600\n",
       "missing.csv:1: missing column 'impella-cp.placement_signal_mmHg'"},
      {"text.csv", head + "0,90,600,43100,600,10\n0.01,90,abc,43100,600,10\n",
       "text.csv:3: column 3 ('motor_current_mA'): expected a finite number, got 'abc'"},
      {"back.csv",
       head + "0,90,600,43100,600,10\n0.02,90,600,43100,600,10\n0.01,90,600,43100,600,10\n",
       "back.csv:4: column 1 ('t_s'): time 0.01 s does not come after 0.02 s"},
      {"short.csv", head + "0,90,600\n", "short.csv:2: 3 values, but the header has 6 columns"},
  };
  for (const auto& c : cases) {
    write(c.name, c.text);
    const Outcome o = unload(std::string("console replay ") + c.name + " --device impella-cp");
    EXPECT_EQ(o.exit_code, 2) << c.name;
    EXPECT_THAT(o.err, HasSubstr(c.expected)) << c.name;
    EXPECT_EQ(count_lines(o.err), 1u) << o.err;
  }
  fs::create_directory(work() / "recordings");
  const Outcome dir = unload("console replay recordings --device impella-cp");
  EXPECT_EQ(dir.exit_code, 2);
  EXPECT_THAT(dir.err, HasSubstr("recordings: cannot read the signal file: it is a directory"));
  write("bare.csv", head + "0,90,600,43100,600,10\n");
  const Outcome o = unload("console replay bare.csv");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("--device"));
}
