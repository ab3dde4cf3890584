// `unload report RUN_DIR` and `unload run --report`: the HTML report of a run and of a comparison
// directory (io/report.hpp). Runs the built binary (UNLOAD_BINARY) on small scenarios in a
// temporary directory; the comparison directory's compare.json is written here by hand, as
// `unload compare` writes it. tests/report/ opens the same kind of report in a browser.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>

#include "test_files.hpp"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::unload::testing::Outcome;
using ::unload::testing::read_text;

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A high-risk PCI patient with a micro-axial pump and one 10 s LAD inflation (short, so fast).
const char* const kPumpScenario = R"([scenario]
patient = "hrpci"
duration = 40
output_rate = 50
description = "Test: <one> LAD inflation & an Impella CP"

[[devices]]
kind = "impella-cp"
level = "P8"

[[events]]
time = 15
balloon = "LAD"
duration = 10
)";

const char* const kUnsupportedScenario = R"([scenario]
patient = "hrpci"
duration = 40
output_rate = 50

[[events]]
time = 15
balloon = "LAD"
duration = 10
)";

class Report : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = ::unload::testing::fresh_test_directory("unload-report-test"); }
  void TearDown() override { fs::remove_all(dir_); }

  Outcome unload(const std::string& args) {
    return ::unload::testing::run_program(UNLOAD_BINARY, work(), args, dir_);
  }

  fs::path write(const std::string& name, const std::string& text) {
    const fs::path file = work() / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file;
  }

  fs::path work() const { return dir_ / "work"; }

  // A comparison directory: two strategies run by `unload run`, and compare.json.
  void make_comparison(const std::string& name, bool with_what_if) {
    write("pump.toml", kPumpScenario);
    write("none.toml", kUnsupportedScenario);
    ASSERT_EQ(unload("run pump.toml --out '" + name + "/impella-cp:P8'").exit_code, 0);
    ASSERT_EQ(unload("run none.toml --out " + name + "/none").exit_code, 0);
    const auto stats = [](double median, double p10, double p90) {
      return nlohmann::json{{"median", median}, {"p10", p10}, {"p90", p90}};
    };
    nlohmann::json pump = {{"strategy", "impella-cp:P8"},
                           {"output", "impella-cp:P8"},
                           {"completed", true},
                           {"collapse_time_s", nullptr},
                           {"map_baseline_mmHg", 80.5},
                           {"map_min_mmHg", 71.2},
                           {"minutes_map_below_65", 0.0},
                           {"cpo_baseline_W", 0.8},
                           {"cpo_min_W", 0.66},
                           {"cpo_max_fall_W", 0.14},
                           {"lvedp_max_mmHg", 18.0},
                           {"pva_mean_ischaemia_mmHg_mL", 4100},
                           {"ef_min_pct", 17.0},
                           {"coronary_flow_nonoccluded_mL_min", 150},
                           {"recovery_s", nullptr},
                           {"haemolysis_index", 0.01},
                           {"alarms_critical", 0},
                           {"alarms_serious", 0},
                           {"variant_stats",
                            {{"count", 50},
                             {"metrics",
                              {{"map_min_mmHg", stats(70, 62, 77)},
                               {"lvedp_max_mmHg", stats(18, 15, 22)},
                               {"cpo_min_W", stats(0.65, 0.55, 0.75)},
                               {"pva_mean_ischaemia_mmHg_mL", stats(4000, 3500, 4600)}}},
                             {"share_map_min_above_65", 0.8},
                             {"share_cpo_min_above_0_6", 0.6},
                             {"share_completed", 1.0}}}};
    nlohmann::json none = {{"strategy", "none"},   {"output", "none"},
                           {"completed", false},   {"error", "integrator <failed>"},
                           {"map_min_mmHg", 58.3}, {"lvedp_max_mmHg", 27.1},
                           {"cpo_min_W", 0.45},    {"recovery_s", 12.5},
                           {"alarms_critical", 0}};
    nlohmann::json compare = {
        {"format", "unload-compare"},
        {"version", 1},
        {"note", "Results of a simulation, for education and research; not clinical advice."},
        {"scenario",
         {{"name", "lad<&>test"},
          {"file", "pump.toml"},
          {"patient", "hrpci"},
          {"duration_s", 40},
          {"description", "a <b>bold</b> claim & \"quotes\""}}},
        {"variants", 50},
        {"seed", 1},
        {"strategies", {pump, none}}};
    if (with_what_if) {
      compare["what_if"] = {{{"title", "The pump stops <during> the inflation"},
                             {"strategy", "impella-cp:P8"},
                             {"output", "impella-cp:P8"},
                             {"event", "motor_failure at 20 s"},
                             {"map_min_mmHg", 55.0},
                             {"completed", false},
                             {"collapse_time_s", 33},
                             {"alarms_critical", 1}}};
    }
    write(name + "/compare.json", compare.dump(2));
  }

  fs::path dir_;
};

// Every plot has data: each <svg class="plot"> holds an element of class "data".
void expect_every_plot_has_data(const std::string& html) {
  // (std::regex overflows its stack on a page this long; plain searches instead.)
  std::size_t plots = 0;
  for (auto at = html.find("<svg class=\"plot\""); at != std::string::npos;
       at = html.find("<svg class=\"plot\"", at + 1)) {
    ++plots;
    const auto end = html.find("\n</svg>", at);
    ASSERT_NE(end, std::string::npos);
    const std::string plot = html.substr(at, end - at);
    EXPECT_THAT(plot, HasSubstr("class=\"data")) << plot.substr(0, 300);
  }
  EXPECT_GE(plots, 5u);
}

void expect_self_contained(const std::string& html) {
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("url(")));
  EXPECT_THAT(html, Not(HasSubstr("href=\"http")));
  EXPECT_THAT(html, HasSubstr("default-src 'none'"));
}

void expect_conversation(const std::string& html) {
  EXPECT_THAT(html, HasSubstr("For the conversation with the patient"));
  EXPECT_THAT(html, HasSubstr("1. What does the procedure involve?"));
  EXPECT_THAT(html, HasSubstr("2. What are the possible benefits? How likely am I to get them?"));
  EXPECT_THAT(html, HasSubstr("3. What are the risks or side effects? How likely are they?"));
  EXPECT_THAT(html,
              HasSubstr("4. What happens if the procedure doesn't work or something goes wrong?"));
  EXPECT_THAT(html, HasSubstr("5. What happens if I don't want the procedure?"));
  // The published rates and their sources, from data/report/complications.toml.
  EXPECT_THAT(html, HasSubstr("Osman et al., Catheter Cardiovasc Interv 2021;97:E627"));
  EXPECT_THAT(html, HasSubstr("O&#39;Neill et al., Circulation 2012;126:1717"));
  EXPECT_THAT(html, Not(HasSubstr("shared/")));
}

TEST_F(Report, RunWithReportWritesEverySectionIntoTheOutputDirectory) {
  write("pump.toml", kPumpScenario);
  const Outcome o = unload("run pump.toml --out out --report");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("report.html"));
  const std::string html = read_text(work() / "out" / "report.html");
  EXPECT_THAT(html, HasSubstr("Pressures through the procedure"));
  EXPECT_THAT(html, HasSubstr("LV volume through the procedure"));
  EXPECT_THAT(html, HasSubstr("Pressure-volume loops before, during and after each inflation"));
  EXPECT_THAT(html, HasSubstr("Inflation 1 (LAD, 15-25 s)"));
  EXPECT_THAT(html, HasSubstr("impella-cp pump flow"));
  EXPECT_THAT(html, HasSubstr("impella-cp speed"));
  EXPECT_THAT(html, HasSubstr("impella-cp motor current"));
  EXPECT_THAT(html, HasSubstr("Alarm timeline"));
  expect_conversation(html);
  expect_every_plot_has_data(html);
  expect_self_contained(html);
  // The notice: in the header, in each section and in the footer.
  EXPECT_GE(count(html, "for education and research; not for clinical decisions"), 4u);
  EXPECT_THAT(html, HasSubstr("not clinical advice"));
  // Text from the files is escaped.
  EXPECT_THAT(html, HasSubstr("Test: &lt;one&gt; LAD inflation &amp; an Impella CP"));
  EXPECT_THAT(html, Not(HasSubstr("<one>")));
  // No pump stop or VF in this run: the answer names the scenarios that simulate them.
  EXPECT_THAT(html, HasSubstr("scenarios/console_faults_impella_cp.toml"));
  EXPECT_THAT(html, HasSubstr("scenarios/lrv_pci_vf_impella_cp.toml"));
  // --force without --report replaces an output that holds a report.
  write("pump.toml", kPumpScenario);
  const Outcome again = unload("run pump.toml --out out --force");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_FALSE(fs::exists(work() / "out" / "report.html"));
}

TEST_F(Report, ReportOfARunDirectoryGoesToOutOrBesideTheRun) {
  write("pump.toml", kPumpScenario);
  ASSERT_EQ(unload("run pump.toml --out out").exit_code, 0);
  Outcome o = unload("report out");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(fs::exists(work() / "out" / "report.html"));
  o = unload("report out --out elsewhere.html");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(read_text(work() / "elsewhere.html"), read_text(work() / "out" / "report.html"));
  // A place the report cannot go: bad input (exit 2), one line naming it, nothing left behind.
  for (const std::string& bad : {std::string("nodir/x.html"), std::string("out")}) {
    o = unload("report out --out " + bad);
    EXPECT_EQ(o.exit_code, 2) << bad << ": " << o.err;
    EXPECT_NE(o.err.find(bad + ": "), std::string::npos) << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
  }
  EXPECT_FALSE(fs::exists(work() / "nodir"));
  for (const auto& e : fs::directory_iterator(work())) {
    EXPECT_EQ(e.path().string().find(".partial-"), std::string::npos) << e.path();
  }
}

TEST_F(Report, ComparisonHasTheTableBandsEveryStrategyAndTheBenefits) {
  make_comparison("cmp", false);
  const Outcome o = unload("report cmp");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const std::string html = read_text(work() / "cmp" / "report.html");
  EXPECT_THAT(html, HasSubstr("Strategies compared"));
  EXPECT_THAT(html, HasSubstr("<th>impella-cp:P8</th><th>none</th>"));
  EXPECT_THAT(html, HasSubstr("Strategy impella-cp:P8"));
  EXPECT_THAT(html, HasSubstr("Strategy none"));
  EXPECT_THAT(html, HasSubstr("MAP per beat, every strategy"));
  // The variants' p10-p90 band of each key metric; a metric without variants has no band.
  EXPECT_EQ(count(html, "class=\"data band\""), 4u);
  EXPECT_THAT(html, HasSubstr("80% of 50 variants"));
  EXPECT_THAT(html, HasSubstr("lowest MAP was 12.9 mmHg higher than without support"));
  // null numbers are a dash.
  EXPECT_THAT(html, HasSubstr("\u2014"));
  // Escaped text of compare.json.
  EXPECT_THAT(html, HasSubstr("lad&lt;&amp;&gt;test"));
  EXPECT_THAT(html, HasSubstr("a &lt;b&gt;bold&lt;/b&gt; claim &amp; &quot;quotes&quot;"));
  EXPECT_THAT(html, Not(HasSubstr("<b>bold</b>")));
  EXPECT_THAT(html, HasSubstr("scenarios/console_faults_impella_cp.toml"));
  // A run that could not go on (compare.json "error") says so, escaped.
  EXPECT_THAT(html, HasSubstr("With none the simulation stopped: integrator &lt;failed&gt;."));
  expect_conversation(html);
  expect_every_plot_has_data(html);
  expect_self_contained(html);
}

TEST_F(Report, ComparisonWhatIfAnswersWhatHappensIfSomethingGoesWrong) {
  make_comparison("cmp", true);
  const Outcome o = unload("report cmp");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const std::string html = read_text(work() / "cmp" / "report.html");
  EXPECT_THAT(html, HasSubstr("The pump stops &lt;during&gt; the inflation"));
  EXPECT_THAT(html, HasSubstr("motor_failure at 20 s"));
  EXPECT_THAT(html, HasSubstr("collapsed</b> at 33 s"));
  EXPECT_THAT(html, Not(HasSubstr("No run of a pump stop")));
}

TEST_F(Report, ARunThatSimulatesAFaultAnswersFromItsOwnEvents) {
  write("fault.toml",
        std::string(kPumpScenario) + "\n[[events]]\ntime = 30\nfault = \"motor_failure\"\n");
  ASSERT_EQ(unload("run fault.toml --out out --report").exit_code, 0);
  const std::string html = read_text(work() / "out" / "report.html");
  EXPECT_THAT(html, HasSubstr("This run simulates what can go wrong"));
  EXPECT_THAT(html, HasSubstr("At 30 s, fault: motor_failure"));
  // The same as a device setting (how a comparison's what-if run records it).
  write("setting.toml",
        std::string(kPumpScenario) +
            "\n[[events]]\ntime = 30\ndevice = \"impella-cp\"\nmotor_failure = 1\n");
  ASSERT_EQ(unload("run setting.toml --out out2 --report").exit_code, 0);
  EXPECT_THAT(read_text(work() / "out2" / "report.html"),
              HasSubstr("At 30 s, impella-cp: the motor fails (the pump stops)"));
}

// --- errors: one line naming the file, exit 2, no report written ---

TEST_F(Report, AMissingDirectoryIsAnInputError) {
  const Outcome o = unload("report nowhere");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("nowhere: no such directory"));
}

TEST_F(Report, ADirectoryWithoutSummaryOrCompareJsonIsRefused) {
  fs::create_directories(work() / "empty");
  const Outcome o = unload("report empty");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("summary.json: missing"));
  EXPECT_THAT(o.err, HasSubstr("compare.json"));
  EXPECT_FALSE(fs::exists(work() / "empty" / "report.html"));
}

TEST_F(Report, AMalformedCsvNamesTheFileAndLine) {
  write("pump.toml", kPumpScenario);
  ASSERT_EQ(unload("run pump.toml --out out").exit_code, 0);
  // beats.csv: cut the third line short.
  std::string beats = read_text(work() / "out" / "beats.csv");
  std::size_t line3 = beats.find('\n', beats.find('\n') + 1) + 1;
  beats.insert(line3, "1,2,3\n");
  std::ofstream(work() / "out" / "beats.csv") << beats;
  Outcome o = unload("report out");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("beats.csv:3: expected"));
  EXPECT_THAT(o.err, HasSubstr("fields as in the header, got 3"));
  EXPECT_FALSE(fs::exists(work() / "out" / "report.html"));
  // waveforms.csv: a word where a number belongs.
  ASSERT_EQ(unload("run pump.toml --out out2").exit_code, 0);
  std::string waves = read_text(work() / "out2" / "waveforms.csv");
  const std::size_t row2 = waves.find('\n') + 1;
  waves.replace(row2, waves.find(',', row2) - row2, "soon");
  std::ofstream(work() / "out2" / "waveforms.csv") << waves;
  o = unload("report out2");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("waveforms.csv:2: column 't_s': expected a number, got 'soon'"));
  // A missing file.
  fs::remove(work() / "out2" / "waveforms.csv");
  o = unload("report out2");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("waveforms.csv: missing"));
  EXPECT_FALSE(fs::exists(work() / "out2" / "report.html"));
  // beats.csv without a column the report plots: refused, not a plot silently left out.
  ASSERT_EQ(unload("run pump.toml --out out3").exit_code, 0);
  std::string renamed = read_text(work() / "out3" / "beats.csv");
  renamed.replace(renamed.find(",map_mmHg,"), 10, ",mean_mmHg,");
  std::ofstream(work() / "out3" / "beats.csv") << renamed;
  o = unload("report out3");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("beats.csv:1: expected a column 'map_mmHg'"));
  EXPECT_FALSE(fs::exists(work() / "out3" / "report.html"));
}

// A summary.json whose FFR readings are not what the run writes: one error with the key.
TEST_F(Report, AMalformedFfrReadingNamesTheKey) {
  write("pump.toml", kPumpScenario);
  ASSERT_EQ(unload("run pump.toml --out out").exit_code, 0);
  auto summary = nlohmann::json::parse(read_text(work() / "out" / "summary.json"));
  summary["ffr"] = {{{"start_s", 1}, {"end_s", 2}, {"pd_pa", {{"LAD", "high"}}}}};
  std::ofstream(work() / "out" / "summary.json") << summary.dump();
  Outcome o = unload("report out");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("summary.json: key 'ffr[0].pd_pa.LAD'"));
  summary["ffr"] = 3;
  std::ofstream(work() / "out" / "summary.json") << summary.dump();
  o = unload("report out");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("key 'ffr': expected an array"));
  EXPECT_FALSE(fs::exists(work() / "out" / "report.html"));
}

TEST_F(Report, AMalformedCompareJsonNamesTheFileAndKey) {
  make_comparison("cmp", false);
  write("cmp/compare.json",
        "{\"format\": \"unload-compare\", \"version\": 1, \"scenario\": {},"
        " \"strategies\": [{\"strategy\": \"x\", \"output\": \"../up\"}]}");
  Outcome o = unload("report cmp");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("compare.json: key 'strategies[0].output'"));
  write("cmp/compare.json",
        "{\"format\": \"unload-compare\", \"version\": 1, \"scenario\": {},"
        " \"strategies\": [{\"strategy\": \"x\", \"output\": \"gone\"}]}");
  o = unload("report cmp");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("which does not exist"));
  write("cmp/compare.json",
        "{\"format\": \"unload-compare\", \"version\": 1, \"scenario\": {},"
        " \"strategies\": [{\"strategy\": \"x\", \"map_min_mmHg\": \"low\"}]}");
  o = unload("report cmp");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("key 'strategies[0].map_min_mmHg': expected a number or null"));
  write("cmp/compare.json", "{\"format\": \"unload-compare\", ");
  o = unload("report cmp");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("compare.json"));
  EXPECT_FALSE(fs::exists(work() / "cmp" / "report.html"));
}

}  // namespace
