// Test helpers: a Session of one patient (and devices) started from rest, as most tests want it.
#pragma once

#include <memory>
#include <utility>

#include "unload/io/devices.hpp"
#include "unload/physio/parameters.hpp"
#include "unload/sim/model.hpp"
#include "unload/sim/session.hpp"
#include "unload/sim/state.hpp"

namespace unload::testing {

inline std::shared_ptr<const sim::Model> model_of(const physio::PatientParameters& patient,
                                                  sim::SimulationOptions options = {},
                                                  const io::DeviceSetup& devices = {}) {
  return std::make_shared<const sim::Model>(patient, devices.blocks, options);
}

// A Session from the uniform-pressure rest state, owning its Model.
inline std::unique_ptr<sim::Session> session_of(const physio::PatientParameters& patient,
                                                sim::SimulationOptions options = {},
                                                const io::DeviceSetup& devices = {}) {
  auto model = model_of(patient, options, devices);
  const sim::State start = sim::rest_state(*model, devices.settings);
  return std::make_unique<sim::Session>(std::move(model), start);
}

}  // namespace unload::testing
