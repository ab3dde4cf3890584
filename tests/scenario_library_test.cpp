// The scenario library (scenarios/*.toml): each file is a commented clinical case that runs, and
// its key numbers (sim/procedure_metrics.hpp: lowest MAP, highest LVEDP, the worst beat's EF,
// recovery after the last deflation, ...) are those recorded in tests/data/scenario_library.json,
// so that a model change that moves them is seen. When a change is meant to move them, rerun with
//   UNLOAD_UPDATE_SCENARIO_LIBRARY=1 ctest --preset ci -R ScenarioLibrary -j1
// (one at a time: each test rewrites the one file), which rewrites the file; the diff then shows,
// in review, what the change did to each case.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "session_support.hpp"
#include "unload/io/scenario.hpp"
#include "unload/sim/procedure_metrics.hpp"

namespace unload {
namespace {

namespace fs = std::filesystem;

const fs::path kScenarios = fs::path(UNLOAD_SOURCE_DIR) / "scenarios";
const fs::path kExpected = fs::path(UNLOAD_SOURCE_DIR) / "tests" / "data" / "scenario_library.json";

// The numbers each scenario's regression checks, and how far each may move before the test
// fails: far above the differences between compilers and machines (the same binary gives the same
// numbers bit for bit), far below what a clinician would notice.
struct Checked {
  const char* key;
  double absolute;  // in the metric's unit
};
constexpr Checked kChecked[] = {
    {"map_baseline_mmHg", 0.3},    {"map_min_mmHg", 0.3},
    {"minutes_map_below_65", 0.1}, {"cpo_min_W", 0.01},
    {"lvedp_max_mmHg", 0.3},       {"ef_min_pct", 0.3},
    {"recovery_s", 3.0},           {"pva_mean_ischaemia_mmHg_mL", 30.0},
};

std::vector<std::string> scenario_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kScenarios)) {
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

nlohmann::json expected() {
  std::ifstream in(kExpected);
  if (!in) return nlohmann::json::object();
  return nlohmann::json::parse(in);
}

bool updating() { return std::getenv("UNLOAD_UPDATE_SCENARIO_LIBRARY") != nullptr; }

nlohmann::json measured(const sim::ProcedureMetrics& m) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& field : sim::procedure_fields()) {
    for (const auto& c : kChecked) {
      if (field.name == c.key) {
        const double v = field.get(m);
        out[c.key] = std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
      }
    }
  }
  return out;
}

TEST(ScenarioLibrary, EveryScenarioHasRecordedNumbersAndEveryRecordHasAScenario) {
  if (updating()) GTEST_SKIP() << "rewriting " << kExpected;
  const nlohmann::json e = expected();
  const auto names = scenario_names();
  for (const auto& name : names) {
    EXPECT_TRUE(e.contains(name)) << "scenarios/" << name << ".toml has no recorded numbers in "
                                  << kExpected << " (UNLOAD_UPDATE_SCENARIO_LIBRARY=1)";
  }
  for (const auto& [name, values] : e.items()) {
    EXPECT_TRUE(std::find(names.begin(), names.end(), name) != names.end())
        << kExpected << " records " << name << ", which is not in scenarios/";
  }
  EXPECT_GE(names.size(), 10u);
}

TEST(ScenarioLibrary, EveryScenarioTellsItsStoryAndSaysItIsASimulation) {
  for (const auto& name : scenario_names()) {
    std::ifstream in(kScenarios / (name + ".toml"));
    std::string line, header;
    int comment_lines = 0;
    while (std::getline(in, line) && line.rfind('#', 0) == 0) header += line, ++comment_lines;
    EXPECT_GE(comment_lines, 4) << name << ": a scenario starts with a comment that tells its case";
    EXPECT_NE(header.find("unload run scenarios/" + name + ".toml"), std::string::npos)
        << name << ": the header shows how to run it";
    EXPECT_NE(header.find("education and research"), std::string::npos)
        << name << ": the header says that results come from a simulation";
  }
}

class ScenarioRun : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioRun, KeyNumbersAreThoseRecorded) {
  const std::string name = GetParam();
  const io::Scenario scenario = io::load_scenario(kScenarios / (name + ".toml"));
  sim::ProcedureRecorder procedure;
  testing::run_scenario(scenario, procedure, [](sim::Session&) {});
  const nlohmann::json now = measured(procedure.result(scenario.duration_s));
  if (updating()) {
    nlohmann::json all = expected();
    all[name] = now;
    std::ofstream(kExpected) << all.dump(2) << '\n';
    GTEST_SKIP() << "recorded " << name << ": " << now.dump();
  }
  const nlohmann::json e = expected();
  ASSERT_TRUE(e.contains(name)) << "no recorded numbers for " << name;
  for (const auto& c : kChecked) {
    const auto& want = e[name][c.key];
    const auto& got = now[c.key];
    if (want.is_null() || got.is_null()) {
      EXPECT_EQ(want.is_null(), got.is_null())
          << name << " " << c.key << ": recorded " << want << ", now " << got;
      continue;
    }
    EXPECT_NEAR(got.get<double>(), want.get<double>(), c.absolute)
        << name << " " << c.key << " moved (UNLOAD_UPDATE_SCENARIO_LIBRARY=1 to record it if the "
        << "change is meant)";
  }
}

INSTANTIATE_TEST_SUITE_P(ScenarioLibrary, ScenarioRun, ::testing::ValuesIn(scenario_names()),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace unload
