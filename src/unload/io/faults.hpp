// Fault injection as timeline events (issue 10, "Fault injection"): the names a scenario's
// [[events]] use (`fault = "NAME"`, `fault_cleared = "NAME"`), what each becomes, and the defaults
// in data/faults.toml. A fault is translated where the scenario is read (io/scenario.cpp) into
// typed events the Session already knows, so no front end changes:
//
//   motor_failure             device_setting motor_failure = 1           cleared: the value before
//   migration_ventricle       device_setting position = 1 (ventricle)    cleared: as before (0)
//   migration_aorta           device_setting position = 2 (aorta)        cleared: as before (0)
//   purge_kink                device_setting purge_occlusion = occlusion cleared: as before (0)
//   purge_bag_empty           device_setting purge_supply = 0            cleared: a new bag (1)
//   placement_sensor_failure  device_setting placement_sensor_blocked = 1   cleared: 0
//   current_sensor_noise      device_setting current_sensor_fault_start_s = time, then
//                             current_sensor_noise = 1                   cleared: noise = 0
//   hypovolaemia              a bleed of volume_mL over over_s (bleeding_rate events, summed
//                             with the scenario's other bleeds)          cleared: the bleed stops
//                                                                        (the volume stays lost)
//
// Every fault but hypovolaemia acts on a micro-axial pump: `device` names it, or the one attached
// is taken. A fault that is already active cannot be raised again, and `fault_cleared` needs the
// fault active at that time (a hypovolaemia is active while its bleed runs).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace unload::io {

enum class Fault {
  motor_failure,
  migration_ventricle,
  migration_aorta,
  hypovolaemia,
  purge_kink,
  purge_bag_empty,
  placement_sensor_failure,
  current_sensor_noise,
};
inline constexpr std::size_t kFaultCount = 8;

// The names scripts rely on, in Fault order.
inline constexpr std::array<std::string_view, kFaultCount> kFaultNames = {
    "motor_failure", "migration_ventricle", "migration_aorta",          "hypovolaemia",
    "purge_kink",    "purge_bag_empty",     "placement_sensor_failure", "current_sensor_noise"};

constexpr std::string_view fault_name(Fault f) { return kFaultNames[static_cast<std::size_t>(f)]; }
std::optional<Fault> fault_from_name(std::string_view name);
// "motor_failure, migration_ventricle, ..." for messages.
std::string fault_names_text();

// Defaults of the faults that take numbers (data/faults.toml, each value with its source).
struct FaultDefaults {
  double hypovolaemia_volume_mL = 0;  // blood lost
  double hypovolaemia_over_s = 0;     // over this time, at a constant rate
  double purge_kink_occlusion = 0;    // purge_occlusion of a kinked purge line
};
// Reads data_directory()/faults.toml; errors name the file, line and key.
FaultDefaults load_fault_defaults();

}  // namespace unload::io
