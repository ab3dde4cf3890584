// Scenario files are checked where they enter: every mistake is one InputError that names the
// file, the line and the key, so that a user can go straight to it.
#include "unload/io/scenario.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_files.hpp"
#include "unload/core/error.hpp"

namespace unload::io {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ScenarioFile : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = ::unload::testing::fresh_test_directory("unload-scenario-test"); }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& text, const std::string& name = "scenario.toml") {
    const fs::path file = dir_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file;
  }

  // The message of the InputError that loading `text` throws ("" if none).
  std::string error_of(const std::string& text) {
    file_ = write(text);
    try {
      load_scenario(file_);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }

  // Expects one InputError naming this file, this line and this key.
  void expect_error_at(const std::string& text, int line, const std::string& key) {
    const std::string message = error_of(text);
    ASSERT_FALSE(message.empty()) << "no InputError for:\n" << text;
    EXPECT_THAT(message, HasSubstr(file_.string() + ":" + std::to_string(line) + ":"));
    EXPECT_THAT(message, HasSubstr(key));
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
  }

  fs::path dir_, file_;
};

// --- what a valid file gives ---

TEST_F(ScenarioFile, MinimalScenarioLoadsThePresetWithDefaults) {
  const Scenario s = load_scenario(write("[scenario]\npatient = \"normal\"\nduration = 3\n"));
  EXPECT_EQ(s.name, "scenario");
  EXPECT_EQ(s.patient.name, "normal");
  EXPECT_EQ(s.patient_reference, "normal");
  EXPECT_DOUBLE_EQ(s.duration_s, 3.0);
  EXPECT_DOUBLE_EQ(s.output_rate_Hz, kDefaultOutputRate_Hz);
  EXPECT_EQ(s.integrator, sim::IntegratorKind::production);
  EXPECT_TRUE(s.overrides.empty());
}

TEST_F(ScenarioFile, OverridesAsDottedKeysAndNestedTablesChangeThePatient) {
  const Scenario s = load_scenario(write(R"([scenario]
patient = "normal"
duration = 10.5
output_rate = 500
description = "weak ventricle, open loop"

[overrides]
left_ventricle.end_systolic_elastance = 1.2
baroreflex.enabled = false

[overrides.systemic]
microvascular_resistance = 1.5

[numerics]
integrator = "reference"
)"));
  EXPECT_DOUBLE_EQ(s.patient.left_ventricle.end_systolic_elastance_mmHg_per_mL, 1.2);
  EXPECT_DOUBLE_EQ(s.patient.systemic.microvascular_resistance_mmHg_s_per_mL, 1.5);
  EXPECT_FALSE(s.patient.baroreflex.enabled);
  EXPECT_EQ(s.overrides.size(), 3u);
  EXPECT_DOUBLE_EQ(s.output_rate_Hz, 500.0);
  EXPECT_EQ(s.description, "weak ventricle, open loop");
  EXPECT_EQ(s.integrator, sim::IntegratorKind::reference);
}

TEST_F(ScenarioFile, OverridesThatOnlyFitTogetherCanBeChangedTogether) {
  // LAD and LCx shares of the LV wall (normal: 0.4118 and 0.2941) must sum to 1 with the RCA's.
  const Scenario s = load_scenario(write(R"([scenario]
patient = "normal"
duration = 3

[overrides]
coronary.lad.lv_wall_share = 0.5
coronary.lcx.lv_wall_share = 0.2059
)"));
  EXPECT_DOUBLE_EQ(s.patient.coronary[0].lv_wall_share, 0.5);
  EXPECT_DOUBLE_EQ(s.patient.coronary[1].lv_wall_share, 0.2059);
  // One of them alone breaks the sum: one error naming the file, the table and the rule.
  const std::string message = error_of(R"([scenario]
patient = "normal"
duration = 3

[overrides]
coronary.lad.lv_wall_share = 0.5
)");
  EXPECT_THAT(message, HasSubstr(file_.string()));
  EXPECT_THAT(message, HasSubstr("[overrides]"));
  EXPECT_THAT(message, HasSubstr("lv_wall_share must sum to 1"));
}

TEST_F(ScenarioFile, PatientPathIsRelativeToTheScenarioFile) {
  fs::create_directories(dir_ / "patients");
  fs::copy_file(fs::path(UNLOAD_TEST_DATA_DIR) / "patients" / "normal.toml",
                dir_ / "patients" / "mine.toml");
  const fs::path file =
      write("[scenario]\npatient = \"../patients/mine.toml\"\nduration = 1\n", "sub/s.toml");
  EXPECT_EQ(load_scenario(file).patient.name, "normal");
}

TEST_F(ScenarioFile, DurationOfExactlySevenDaysIsAccepted) {
  EXPECT_EQ(error_of("[scenario]\npatient = \"normal\"\nduration = 604800\n"), "");
}

// --- every kind of mistake: file, line, key ---

TEST_F(ScenarioFile, UnknownPresetNamesThePresetAndTheKnownOnes) {
  expect_error_at("[scenario]\nduration = 5\npatient = \"nobody\"\n", 3, "scenario.patient");
  EXPECT_THAT(error_of("[scenario]\nduration = 5\npatient = \"nobody\"\n"),
              AllOf(HasSubstr("'nobody'"), HasSubstr("normal")));
}

TEST_F(ScenarioFile, MissingPresetFileIsReported) {
  expect_error_at("[scenario]\npatient = \"gone.toml\"\nduration = 5\n", 2, "scenario.patient");
}

TEST_F(ScenarioFile, UnknownKeyInScenarioTable) {
  expect_error_at("[scenario]\npatient = \"normal\"\nduration = 5\nspeed = 3\n", 4,
                  "scenario.speed");
}

TEST_F(ScenarioFile, UnknownTable) {
  expect_error_at("[scenario]\npatient = \"normal\"\nduration = 5\n\n[devices]\npump = 1\n", 5,
                  "devices");
}

TEST_F(ScenarioFile, UnknownKeyInNumerics) {
  expect_error_at("[scenario]\npatient = \"normal\"\nduration = 5\n[numerics]\nstep = 1\n", 5,
                  "numerics.step");
}

TEST_F(ScenarioFile, UnknownIntegrator) {
  expect_error_at(
      "[scenario]\npatient = \"normal\"\nduration = 5\n[numerics]\nintegrator = \"euler\"\n", 5,
      "numerics.integrator");
}

TEST_F(ScenarioFile, DurationOfTheWrongType) {
  expect_error_at("[scenario]\npatient = \"normal\"\nduration = \"60\"\n", 3, "scenario.duration");
}

TEST_F(ScenarioFile, PatientOfTheWrongType) {
  expect_error_at("[scenario]\npatient = 3\nduration = 60\n", 2, "scenario.patient");
}

TEST_F(ScenarioFile, ScenarioThatIsNotATable) { expect_error_at("scenario = 3\n", 1, "scenario"); }

TEST_F(ScenarioFile, DurationOutOfRange) {
  expect_error_at("[scenario]\npatient = \"normal\"\nduration = 0\n", 3, "scenario.duration");
  expect_error_at("[scenario]\npatient = \"normal\"\nduration = -1\n", 3, "scenario.duration");
  expect_error_at("[scenario]\npatient = \"normal\"\nduration = 604801\n", 3, "scenario.duration");
  expect_error_at("[scenario]\npatient = \"normal\"\nduration = nan\n", 3, "scenario.duration");
  expect_error_at("[scenario]\npatient = \"normal\"\nduration = inf\n", 3, "scenario.duration");
}

TEST_F(ScenarioFile, OutputRateOutOfRange) {
  expect_error_at("[scenario]\npatient = \"normal\"\nduration = 5\noutput_rate = 0\n", 4,
                  "scenario.output_rate");
  expect_error_at("[scenario]\npatient = \"normal\"\nduration = 5\noutput_rate = 20000\n", 4,
                  "scenario.output_rate");
}

// A device's bad kind or setting names its own line and key, not the [[devices]] header's.
TEST_F(ScenarioFile, DeviceErrorsNameTheLineAndKeyOfTheBadValue) {
  const std::string head = "[scenario]\npatient = \"normal\"\nduration = 5\n\n[[devices]]\n";
  expect_error_at(head + "kind = \"impella-cp\"\n# purge\n\npurge_flow_mL_h = 500\n", 9,
                  "key 'devices[0].purge_flow_mL_h': impella-cp purge_flow_mL_h '500'");
  expect_error_at(head + "kind = \"impella-cp\"\nlevel = \"P12\"\n", 7, "key 'devices[0].level'");
  expect_error_at(head + "kind = \"impella-cp\"\nangle = 3\n", 7,
                  "key 'devices[0].angle': impella-cp has no setting 'angle'");
  expect_error_at(head + "\nkind = \"impella-9000\"\n", 7, "key 'devices[0].kind'");
  expect_error_at(head + "kind = \"iabp\"\n[[devices]]\nkind = \"va-ecmo\"\nratio = \"1:4\"\n", 9,
                  "key 'devices[1].ratio'");
}

TEST_F(ScenarioFile, MissingDurationPointsAtTheScenarioTable) {
  expect_error_at("# comment\n[scenario]\npatient = \"normal\"\n", 2, "scenario.duration");
}

TEST_F(ScenarioFile, MissingScenarioTable) {
  const std::string message = error_of("[numerics]\nintegrator = \"production\"\n");
  EXPECT_THAT(message, HasSubstr(file_.string()));
  EXPECT_THAT(message, HasSubstr("[scenario]"));
}

TEST_F(ScenarioFile, MissingFileNamesTheFile) {
  const fs::path file = dir_ / "absent.toml";
  try {
    load_scenario(file);
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(file.string()));
  }
}

TEST_F(ScenarioFile, DirectoryInsteadOfFileIsReported) {
  EXPECT_THROW(load_scenario(dir_), InputError);
}

TEST_F(ScenarioFile, InvalidTomlNamesFileAndLine) {
  const std::string message = error_of("[scenario]\npatient = \"normal\"\nduration = = 5\n");
  EXPECT_THAT(message, HasSubstr(file_.string() + ":3:"));
  EXPECT_THAT(message, HasSubstr("TOML"));
}

TEST_F(ScenarioFile, OverrideOfUnknownParameter) {
  expect_error_at(
      "[scenario]\npatient = \"normal\"\nduration = 5\n[overrides]\nleft_ventricle.strength = 2\n",
      5, "left_ventricle.strength");
}

TEST_F(ScenarioFile, OverrideOutOfRange) {
  expect_error_at(
      "[scenario]\npatient = \"normal\"\nduration = 5\n[overrides]\n"
      "left_ventricle.end_systolic_elastance = -3\n",
      5, "left_ventricle.end_systolic_elastance");
}

TEST_F(ScenarioFile, OverrideInNestedTableOutOfRange) {
  expect_error_at(
      "[scenario]\npatient = \"normal\"\nduration = 5\n[overrides.left_ventricle]\n"
      "end_systolic_elastance = 1e9\n",
      5, "left_ventricle.end_systolic_elastance");
}

TEST_F(ScenarioFile, OverrideWithBooleanForANumericParameter) {
  expect_error_at(
      "[scenario]\npatient = \"normal\"\nduration = 5\n[overrides]\n"
      "left_ventricle.end_systolic_elastance = true\n",
      5, "left_ventricle.end_systolic_elastance");
}

TEST_F(ScenarioFile, OverrideWithNumberForTheBaroreflexSwitch) {
  expect_error_at(
      "[scenario]\npatient = \"normal\"\nduration = 5\n[overrides]\nbaroreflex.enabled = 1\n", 5,
      "baroreflex.enabled");
}

TEST_F(ScenarioFile, OverrideWithStringValue) {
  expect_error_at(
      "[scenario]\npatient = \"normal\"\nduration = 5\n[overrides]\nbody.weight_kg = \"80\"\n", 5,
      "body.weight_kg");
}

TEST_F(ScenarioFile, OverrideWrittenLikeAPresetEntry) {
  expect_error_at(
      "[scenario]\npatient = \"normal\"\nduration = 5\n[overrides]\n"
      "body.weight = { value = 80, unit = \"kg\" }\n",
      5, "body.weight");
}

TEST(IntegratorNames, RoundTrip) {
  for (auto kind : {sim::IntegratorKind::production, sim::IntegratorKind::reference}) {
    EXPECT_EQ(integrator_from_name(integrator_name(kind)), kind);
  }
  EXPECT_FALSE(integrator_from_name("euler"));
}

}  // namespace
}  // namespace unload::io
