// State files: a simulation State (sim/state.hpp) as JSON, with what is needed to rebuild the Model
// it belongs to (the patient's every parameter, the devices, the numerics), a format version, and
// the build that wrote it. Written by `unload steady --save-state FILE`, read by a scenario's
// `start_state = "FILE"`. Numbers are written so that they read back exactly (a restored State
// continues bit for bit); NaN is written as null.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "unload/sim/model.hpp"
#include "unload/sim/state.hpp"

namespace unload::io {

// 5: the baroreflex reads the root pressure through a high cut (one more circulation state).
// 6: beats carry the mean pressure distal to each territory's stenosis (Pd/Pa, FFR, dPR).
// 7: a fourth drug, adenosine (one more effect-site state, one more infusion rate).
// 8: beats carry each territory's diastolic-to-systolic inflow ratio (DSVR).
// 9: beats carry the LV ejection time (the valve's opening and closure are kept during the beat).
inline constexpr int kStateFileVersion = 9;

struct StateFile {
  sim::State state;
  std::shared_ptr<const sim::Model> model;  // the Model the State belongs to, rebuilt
  std::string description;                  // what the writer said it is
};

// Throws InputError if `file` cannot be a state file's place (no such directory, a directory):
// callers check before a long computation, so that a typo costs nothing.
void check_state_file_target(const std::filesystem::path& file);

// Writes atomically (a temporary file renamed into place): a failure leaves no partial file.
void write_state_file(const std::filesystem::path& file, const sim::State& state,
                      const sim::Model& model, const std::string& description);

// Reads and checks a state file; InputError naming the file and what is wrong (not a state file,
// another format version, a device whose data changed since, a field missing).
StateFile read_state_file(const std::filesystem::path& file);

}  // namespace unload::io
