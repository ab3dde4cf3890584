// Conversion factors of src/unload/core/units.hpp: each is checked against its definition or
// against another constant it must agree with.
#include "unload/core/units.hpp"

#include <gtest/gtest.h>

namespace unload::units {
namespace {

TEST(Units, MillimetreOfMercuryIs133Point322Pascal) {
  // 1 Pa = 10 dyn/cm^2.
  EXPECT_DOUBLE_EQ(dyn_per_cm2_per_mmHg / 10.0, 133.322);
}

TEST(Units, PressureTimesVolumeInJouleAgreesWithThePressureConversion) {
  // 1 dyn/cm^2 * 1 mL = 1 dyn*cm = 1e-7 J.
  EXPECT_NEAR(joule_per_mmHg_mL, dyn_per_cm2_per_mmHg * 1e-7, 1e-15);
}

TEST(Units, FlowConversionsAreInverse) {
  EXPECT_DOUBLE_EQ(mL_per_s_to_L_per_min * L_per_min_to_mL_per_s, 1.0);
  // A cardiac output of 5 L/min is 83.3 mL/s.
  EXPECT_NEAR(5.0 * L_per_min_to_mL_per_s, 83.333333, 1e-6);
  EXPECT_DOUBLE_EQ(100.0 * mL_per_s_to_L_per_min, 6.0);
}

TEST(Units, SystemicResistanceInWoodUnitsMatchesPressureOverFlowInLitresPerMinute) {
  // MAP - RAP = 90 mmHg at CO = 5 L/min is 18 Wood units.
  const double flow_mL_s = 5.0 * L_per_min_to_mL_per_s;
  const double resistance_mmHg_s_per_mL = 90.0 / flow_mL_s;
  EXPECT_NEAR(resistance_mmHg_s_per_mL * wood_per_mmHg_s_per_mL, 18.0, 1e-12);
}

TEST(Units, CardiacPowerDivisorAgreesWithMechanicalPowerWithinHalfAPercent) {
  // CPO = MAP * CO / 451 (Fincke 2004) approximates MAP * Q in W; 451 is a rounded constant.
  const double map_mmHg = 93.0;
  const double co_L_min = 5.0;
  const double exact_W = map_mmHg * co_L_min * L_per_min_to_mL_per_s * joule_per_mmHg_mL;
  const double clinical_W = map_mmHg * co_L_min / cardiac_power_divisor;
  EXPECT_NEAR(clinical_W / exact_W, 1.0, 0.005);
  EXPECT_NEAR(clinical_W, 1.03, 0.01);
}

}  // namespace
}  // namespace unload::units
