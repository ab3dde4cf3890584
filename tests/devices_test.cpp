// The support devices attached to the virtual patient: what each does to the circulation, as
// described in docs/devices.md (with their sources), and the invariants.
#include "unload/io/devices.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "session_support.hpp"
#include "unload/core/error.hpp"
#include "unload/io/presets.hpp"
#include "unload/sim/session.hpp"

namespace unload {
namespace {

using Settings = std::vector<std::pair<std::string, std::string>>;
struct Attach {
  std::string kind;
  Settings settings;
};

struct Result {
  sim::BeatMetrics m;
  std::vector<std::string> keys;
  double device(const std::string& key) const {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return m.device[i];
    }
    ADD_FAILURE() << "no device metric " << key;
    return std::nan("");
  }
};

Result steady(const std::string& preset, const std::vector<Attach>& devices = {}) {
  std::vector<io::DeviceRequest> requests;
  for (const auto& d : devices) requests.push_back({d.kind, d.settings, "test"});
  const auto setup = io::setup_devices(requests);
  auto s = testing::session_of(io::load_preset(preset), {}, setup);
  const auto r = sim::run_to_steady_state(*s);
  EXPECT_TRUE(r.reached) << preset;
  std::vector<std::string> keys;
  for (const auto& m : s->model().device_metrics()) keys.push_back(m.key);
  return {r.average, keys};
}

// --- micro-axial pump -------------------------------------------------------------------------

class MicroAxialPumpSupport : public ::testing::TestWithParam<std::string> {};

TEST_P(MicroAxialPumpSupport, RisingLevelsUnloadTheVentricleAndRaiseTotalOutput) {
  const std::vector<Result> runs = {steady(GetParam()),
                                    steady(GetParam(), {{"impella-cp", {{"level", "P2"}}}}),
                                    steady(GetParam(), {{"impella-cp", {{"level", "P5"}}}}),
                                    steady(GetParam(), {{"impella-cp", {{"level", "P8"}}}})};
  for (std::size_t i = 1; i < runs.size(); ++i) {
    const auto& lo = runs[i - 1].m;
    const auto& hi = runs[i].m;
    SCOPED_TRACE("step " + std::to_string(i));
    EXPECT_LT(hi.lvedp_mmHg, lo.lvedp_mmHg);
    EXPECT_LT(hi.lvedv_mL, lo.lvedv_mL);
    EXPECT_GT(hi.map_mmHg, lo.map_mmHg);
    EXPECT_GT(hi.co_L_min, lo.co_L_min);
    EXPECT_LT(hi.co_native_L_min, lo.co_native_L_min);
    EXPECT_GT(runs[i].device("pump_flow_L_min"), i > 1 ? runs[i - 1].device("pump_flow_L_min") : 0);
  }
  // Myocardial oxygen demand (PVA) falls with support: less filling outweighs the higher aortic
  // (end-systolic) pressure the pump produces. While the aortic valve still opens, end-systolic
  // volume follows that pressure, so between two intermediate levels it may stay flat (within
  // 0.5%), but it never rises more, and full support lowers it clearly.
  for (std::size_t i = 1; i < runs.size(); ++i) {
    EXPECT_LT(runs[i].m.pva_mmHg_mL, 1.005 * runs[i - 1].m.pva_mmHg_mL) << "step " << i;
  }
  EXPECT_LT(runs.back().m.pva_mmHg_mL, 0.97 * runs.front().m.pva_mmHg_mL);
  EXPECT_GT(runs.back().device("pump_flow_L_min"), 2.5);
}

TEST_P(MicroAxialPumpSupport, StoppedPumpLeaksBackwardsAndWorsensThePatient) {
  const auto none = steady(GetParam());
  const auto stopped = steady(GetParam(), {{"impella-cp", {{"level", "P0"}}}});
  EXPECT_LT(stopped.device("pump_flow_L_min"), -0.1);  // aorta -> ventricle through the cannula
  EXPECT_LT(stopped.m.co_L_min, none.m.co_L_min);
  EXPECT_GT(stopped.m.lvedp_mmHg, none.m.lvedp_mmHg);
  EXPECT_LT(stopped.m.map_mmHg, none.m.map_mmHg);
}

INSTANTIATE_TEST_SUITE_P(HeartFailureAndShock, MicroAxialPumpSupport,
                         ::testing::Values("hfref", "shock"));

// --- balloon pump -----------------------------------------------------------------------------

TEST(BalloonPump, WellTimedAugmentsDiastoleAndUnloadsSystole) {
  const auto none = steady("hfref");
  const auto iabp = steady("hfref", {{"iabp", {{"ratio", "1:1"}}}});
  // Diastolic augmentation: aortic pressure during inflation rises above the unassisted systolic.
  EXPECT_GT(iabp.device("augmented_dia_mmHg"), none.m.aop_dia_mmHg + 15);
  // Deflation before ejection lowers the end-diastolic aortic pressure and the LV systolic load.
  EXPECT_LT(iabp.m.aop_dia_mmHg, none.m.aop_dia_mmHg - 3);
  EXPECT_LT(iabp.m.lv_peak_mmHg, none.m.lv_peak_mmHg);
}

TEST(BalloonPump, BadTimingDoesHarm) {
  const auto good = steady("hfref", {{"iabp", {{"ratio", "1:1"}}}});
  const auto late_deflation =
      steady("hfref", {{"iabp", {{"ratio", "1:1"}, {"deflation_offset_s", "0.12"}}}});
  const auto early_inflation =
      steady("hfref", {{"iabp", {{"ratio", "1:1"}, {"inflation_offset_s", "-0.15"}}}});
  // Balloon still inflated when the ventricle ejects: higher afterload and more myocardial
  // oxygen demand (PVA), and the pre-systolic pressure dip that unloads the ventricle is lost.
  EXPECT_GT(late_deflation.m.lv_peak_mmHg, good.m.lv_peak_mmHg);
  EXPECT_GT(late_deflation.m.pva_mmHg_mL, good.m.pva_mmHg_mL);
  EXPECT_GT(late_deflation.m.aop_dia_mmHg, good.m.aop_dia_mmHg + 5);
  // Inflating before the valve closes cuts ejection short.
  EXPECT_LT(early_inflation.m.sv_mL, good.m.sv_mL);
}

TEST(BalloonPump, RatioOneToTwoAugmentsEveryOtherBeat) {
  const auto setup = io::setup_devices({{"iabp", {{"ratio", "1:2"}}, "test"}});
  auto s = testing::session_of(io::load_preset("hfref"), {}, setup);
  s->advance_to(30.0);
  const auto beats = s->recent_beats();
  const auto metrics = s->model().device_metrics();
  std::size_t k = 0;
  for (; k < metrics.size(); ++k) {
    if (metrics[k].key == "augmented_dia_mmHg") break;
  }
  ASSERT_LT(k, metrics.size());
  int with = 0;
  for (const auto& b : beats) with += std::isnan(b.device[k]) ? 0 : 1;
  EXPECT_NEAR(static_cast<double>(with) / static_cast<double>(beats.size()), 0.5, 0.1);
}

// --- VA-ECMO ----------------------------------------------------------------------------------

TEST(VaEcmo, RaisesPressureAndFlowButLoadsTheFailingVentricle) {
  const auto none = steady("shock");
  const auto low = steady("shock", {{"va-ecmo", {{"rpm", "3000"}}}});
  const auto high = steady("shock", {{"va-ecmo", {{"rpm", "4000"}}}});
  EXPECT_GT(low.m.map_mmHg, none.m.map_mmHg);
  EXPECT_GT(high.m.map_mmHg, low.m.map_mmHg);
  EXPECT_GT(high.m.co_L_min, none.m.co_L_min);
  EXPECT_GT(high.device("ecmo_flow_L_min"), low.device("ecmo_flow_L_min"));
  // Retrograde flow raises the afterload: the ventricle ejects less and distends.
  EXPECT_LT(high.m.co_native_L_min, none.m.co_native_L_min);
  EXPECT_GT(high.m.lvedv_mL, none.m.lvedv_mL);
  EXPECT_GT(high.m.lvedp_mmHg, none.m.lvedp_mmHg);
}

TEST(VaEcmo, AddingTheMicroAxialPumpUnloadsTheVentricleAgain) {
  const auto ecmo = steady("shock", {{"va-ecmo", {{"rpm", "4000"}}}});
  const auto ecpella =
      steady("shock", {{"va-ecmo", {{"rpm", "4000"}}}, {"impella-cp", {{"level", "P4"}}}});
  EXPECT_LT(ecpella.m.lvedp_mmHg, ecmo.m.lvedp_mmHg - 2);
  EXPECT_LT(ecpella.m.lvedv_mL, ecmo.m.lvedv_mL);
}

// --- invariants -------------------------------------------------------------------------------

TEST(DeviceInvariants, BloodVolumeIsConservedWithEveryDeviceAttached) {
  for (const auto& devices : std::vector<std::vector<Attach>>{
           {{"impella-cp", {{"level", "P8"}}}},
           {{"impella-2.5", {{"level", "P8"}}}},
           {{"impella-5.5", {{"level", "P8"}}}},
           {{"iabp", {{"ratio", "1:1"}}}},
           {{"va-ecmo", {{"rpm", "3500"}}}, {"impella-cp", {{"level", "P4"}}}}}) {
    std::vector<io::DeviceRequest> requests;
    for (const auto& d : devices) requests.push_back({d.kind, d.settings, "test"});
    const auto setup = io::setup_devices(requests);
    const auto patient = io::load_preset("shock");
    auto s = testing::session_of(patient, {}, setup);
    s->advance_to(3600.0);
    const double v = physio::Circulation::blood_volume_mL(s->state());
    EXPECT_LT(std::abs(v - patient.body.total_blood_volume_mL) / patient.body.total_blood_volume_mL,
              1e-9)
        << devices.front().kind;
  }
}

TEST(DeviceInvariants, SettingChangesMidRunAreDeterministic) {
  auto run = [] {
    const auto setup = io::setup_devices({{"impella-cp", {{"level", "P2"}}, "test"}});
    auto s = testing::session_of(io::load_preset("hrpci"), {}, setup);
    s->advance_to(5.0);
    const auto slot = *physio::find_setting(*setup.blocks[0], "speed_rpm");
    s->apply({0.0, sim::EventKind::device_setting, 0, static_cast<std::uint32_t>(slot), 40000.0});
    s->advance_to(10.0);
    const auto y = s->state();
    return std::vector<double>(y.begin(), y.end());
  };
  EXPECT_EQ(run(), run());
}

TEST(DeviceInput, BadSettingsAreRejectedWithAClearMessage) {
  auto message = [](std::vector<io::DeviceRequest> r) -> std::string {
    try {
      io::setup_devices(r);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message({{"impella-9", {}, "--device impella-9"}}).find("unknown device"),
            std::string::npos);
  EXPECT_NE(message({{"impella-2.5", {{"level", "P9"}}, "--device impella-2.5"}}).find("P9"),
            std::string::npos);
  EXPECT_NE(message({{"iabp", {{"ratio", "1:4"}}, "--device iabp"}}).find("1:2"),
            std::string::npos);
  const std::string unknown = message({{"iabp", {{"speed", "3"}}, "--device iabp"}});
  EXPECT_NE(unknown.find("no setting"), std::string::npos);
  // The settings it has, each once (the word `ratio` is also the setting's name).
  EXPECT_NE(unknown.find("(expected one of: volume_mL, ratio, trigger, inflation_offset_s, "
                         "deflation_offset_s)"),
            std::string::npos)
      << unknown;
  EXPECT_NE(
      message({{"impella-cp", {{"speed", "3"}}, "--device impella-cp"}}).find(", level, rpm)"),
      std::string::npos);
  // VA-ECMO's `flow` is a target flow: 0 is refused (its setting's 0 means speed mode at the
  // default speed, which `--flow 0` does not say), while the setting itself still takes 0.
  EXPECT_NE(message({{"va-ecmo", {{"flow", "0"}}, "--device va-ecmo"}})
                .find("--device va-ecmo: va-ecmo flow '0': expected more than 0 up to 10 L/min"),
            std::string::npos);
  EXPECT_EQ(message({{"va-ecmo", {{"flow", "0.5"}}, "--device va-ecmo"}}), "");
  EXPECT_EQ(message({{"va-ecmo", {{"target_flow_L_min", "0"}}, "--device va-ecmo"}}), "");
}

}  // namespace
}  // namespace unload
