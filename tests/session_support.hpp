// Test helpers: a Session of one patient (and devices) started from rest, as most tests want it.
#pragma once

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "unload/io/devices.hpp"
#include "unload/io/run_setup.hpp"
#include "unload/io/scenario.hpp"
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

// Runs a loaded scenario to its end as `unload run` does (prepared start, the scenario's events,
// consoles as the scenario asks), with `recorder` seeing every beat and event (no samples), in
// chunks of 1 s; `each_second(session)` is called at the start (t = 0) and after each chunk.
template <class EachSecond>
void run_scenario(const io::Scenario& scenario, sim::SimulationObserver& recorder,
                  EachSecond each_second) {
  const io::PreparedRun prepared = io::prepare_run(scenario);
  sim::Session session(prepared.model, prepared.start, prepared.bindings);
  std::vector<sim::Event> events;
  for (const auto& e : scenario.events) events.push_back(e.event);
  session.schedule(events);
  session.set_recorder(&recorder, 0.0);
  each_second(session);
  while (session.time() < scenario.duration_s) {
    session.advance_to(std::min(scenario.duration_s, session.time() + 1.0));
    each_second(session);
  }
}

}  // namespace unload::testing
