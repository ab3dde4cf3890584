// Units and physical constants. Clinical units throughout: mmHg, mL, s; flows are mL/s inside the
// model and reported in L/min. Conversion factors are definitions, not parameters.
#pragma once

namespace unload::units {

// 1 mmHg = 133.322 Pa = 1333.22 dyn/cm^2 (definition of the conventional millimetre of mercury).
inline constexpr double dyn_per_cm2_per_mmHg = 1333.22;
inline constexpr double mL_per_s_to_L_per_min = 60.0 / 1000.0;
inline constexpr double L_per_min_to_mL_per_s = 1000.0 / 60.0;
// Wood unit = mmHg/(L/min): 1 mmHg*s/mL = 1000/60 = 16.67 Wood units.
inline constexpr double wood_per_mmHg_s_per_mL = 1000.0 / 60.0;
// Cardiac power output: CPO [W] = MAP [mmHg] * CO [L/min] / 451 (Fincke et al., JACC 2004;44:340).
inline constexpr double cardiac_power_divisor = 451.0;
// 1 mmHg*mL = 1.33322e-4 J.
inline constexpr double joule_per_mmHg_mL = 1.33322e-4;

}  // namespace unload::units
