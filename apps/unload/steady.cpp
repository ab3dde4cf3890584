// unload steady: run a patient to its periodic steady state and report the mean of the last beats.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "commands.hpp"
#include "metrics_table.hpp"
#include "stop_signals.hpp"
#include "unload/core/error.hpp"
#include "unload/io/audit_log.hpp"
#include "unload/io/compare.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/run_setup.hpp"
#include "unload/io/scenario.hpp"
#include "unload/io/state_file.hpp"
#include "unload/io/writers.hpp"
#include "unload/sim/session.hpp"

namespace unload::cli {

namespace {

physio::PatientParameters patient_from_options(const SteadyOptions& options) {
  physio::PatientParameters patient;
  try {
    patient = io::load_preset(options.patient);
  } catch (const InputError& e) {
    throw InputError(fmt::format("--patient: {}", e.what()));
  }
  if (!options.baroreflex)
    io::apply_override(patient, "baroreflex.enabled", 0.0, "--no-baroreflex");
  if (options.hyperaemia) {
    io::apply_override(patient, "coronary_autoregulation.hyperaemia", 1.0, "--hyperaemia");
  }
  return patient;
}

// NAME=NUMBER of one option's value, or one clear error naming the option and what it expects.
std::pair<std::string, double> name_and_number(const std::string& option, const std::string& value,
                                               const std::string& expected) {
  const auto eq = value.find('=');
  double number = std::nan("");
  if (eq != std::string::npos && eq > 0) {
    const std::string text = value.substr(eq + 1);
    std::size_t used = 0;
    try {
      number = std::stod(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text.size() || text.empty()) number = std::nan("");
  }
  if (!std::isfinite(number)) {
    throw InputError(fmt::format("{} {}: expected {}", option, value, expected));
  }
  return {value.substr(0, eq), number};
}

// The stenoses and infusions of --stenosis and --drug.
sim::StandingInputs standing_from_options(const SteadyOptions& options,
                                          const physio::PatientParameters& patient) {
  sim::StandingInputs standing;
  const std::string stenosis_expected =
      "TERRITORY=RESIDUAL, TERRITORY one of LAD, LCx, RCA, LM and RESIDUAL the fraction of its "
      "resting inflow conductance left, more than 0 and at most 1 (e.g. LAD=0.75)";
  for (const auto& value : options.stenoses) {
    const auto [name, f] = name_and_number("--stenosis", value, stenosis_expected);
    std::vector<std::size_t> territories;
    for (std::size_t k = 0; k < physio::territory_count; ++k) {
      if (name == physio::territory_labels[k]) territories = {k};
    }
    if (name == "LM") territories = {0, 1};
    if (territories.empty() || !(f > 0.0 && f <= 1.0)) {
      throw InputError(fmt::format("--stenosis {}: expected {}", value, stenosis_expected));
    }
    for (std::size_t k : territories) standing.coronary_inflow_fraction[k] = f;
  }
  for (const auto& value : options.drugs) {
    std::string known;
    for (std::size_t d = 0; d < physio::drug_count; ++d) {
      known += fmt::format("{}{} (0 to {:g})", known.empty() ? "" : ", ", physio::drug_names[d],
                           patient.drugs[d].maximum_dose);
    }
    const std::string expected =
        fmt::format("NAME=DOSE in {}, NAME one of {}", physio::drug_dose_unit, known);
    const auto [name, dose] = name_and_number("--drug", value, expected);
    std::size_t index = physio::drug_count;
    for (std::size_t d = 0; d < physio::drug_count; ++d) {
      if (name == physio::drug_names[d]) index = d;
    }
    if (index == physio::drug_count ||
        !(dose >= 0.0 && dose <= patient.drugs[index].maximum_dose)) {
      throw InputError(fmt::format("--drug {}: expected {}", value, expected));
    }
    standing.drug_dose[index] = dose;
  }
  return standing;
}

// What the user should know about the numbers: a device short of its target (devices.hpp), and a
// level the operator chose that the console ended while the steady state was sought (BOOST lasts
// at most 5 minutes), so that the numbers are at another level.
std::vector<std::string> steady_notes(const io::PreparedRun& run,
                                      const sim::SteadyStateResult& result) {
  std::vector<std::string> notes =
      io::device_shortfall_notes(*run.model, run.device_settings, result.average);
  // A steady state is not a viable one: below compare's collapse pressure, say so.
  if (result.average.map_mmHg < io::kCollapseMap_mmHg) {
    notes.push_back(fmt::format(
        "MAP {:.1f} mmHg, cardiac index {:.2f} L/min/m2: a circulation that could not sustain the "
        "patient (compare calls MAP under {:g} mmHg for more than a minute a collapse)",
        result.average.map_mmHg, result.average.ci_L_min_m2, io::kCollapseMap_mmHg));
  }
  for (std::size_t c = 0; c < run.consoles.size(); ++c) {
    const auto& console = *run.consoles[c];
    const std::size_t k = run.bindings[c].device;
    const bool given = k < run.speed_given.size() && run.speed_given[k];
    const double now = console.display().set_speed_rpm;
    if (given && now != console.starting_rpm()) {
      const bool boost = console.starting_rpm() == console.config().pump.boost_rpm;
      notes.push_back(fmt::format(
          "the console ended the level asked for ({:.0f} rpm) while the steady state was sought{}: "
          "these numbers are at {}, {:.0f} rpm",
          console.starting_rpm(), boost ? " (BOOST lasts at most 5 minutes)" : "",
          console.mode_text(), now));
    }
  }
  return notes;
}

void print_json(const SteadyOptions& options, const io::PreparedRun& run,
                const sim::SteadyStateResult& result, const sim::StandingInputs& standing) {
  const sim::Model& model = *run.model;
  nlohmann::json out = {
      {"notice", io::kSimulationNotice},
      {"patient", model.patient().name},
      {"integrator", io::integrator_name(options.integrator)},
      {"baroreflex_enabled", model.patient().baroreflex.enabled},
      {"steady_state_reached", result.reached},
      {"steady_state_oscillating", result.oscillating},
      {"beats_to_steady", result.beats_to_steady},
      {"hyperaemia", options.hyperaemia},
  };
  nlohmann::json stenoses = nlohmann::json::object(), drugs = nlohmann::json::object();
  for (std::size_t k = 0; k < physio::territory_count; ++k) {
    const double f = standing.coronary_inflow_fraction[k];
    if (f != 1.0) stenoses[std::string(physio::territory_labels[k])] = f;
  }
  for (std::size_t d = 0; d < physio::drug_count; ++d) {
    if (standing.drug_dose[d] != 0.0) {
      drugs[std::string(physio::drug_names[d])] = standing.drug_dose[d];
    }
  }
  out["stenoses"] = stenoses;
  out["drugs_mcg_kg_min"] = drugs;
  out.update(io::metrics_json(result.average, model));
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& d : model.devices()) devices.push_back(d.block->kind());
  out["devices"] = devices;
  if (options.save_state) out["state_file"] = options.save_state->string();
  out["notes"] = steady_notes(run, result);
  // What the pump's console shows (the one micro-axial pump: its estimates from its own signals).
  if (!run.consoles.empty()) {
    const nlohmann::json c = io::console_display_json(*run.consoles.front());
    for (const char* key : {"displayed_flow_L_min", "lvedp_estimate_mmHg", "cpo_estimate_W",
                            "map_estimate_mmHg", "placement"}) {
      out[key] = c[key];
    }
    out["console"] = c;
  }
  fmt::print("{}\n", io::json_text(out));
}

void print_table(const SteadyOptions& options, const io::PreparedRun& run,
                 const sim::SteadyStateResult& result, const sim::StandingInputs& standing) {
  const sim::Model& model = *run.model;
  fmt::print("Simulated patient, for education and research; not for clinical decisions.\n");
  fmt::print("Patient '{}': {}\n", model.patient().name, model.patient().description);
  fmt::print("{} integrator, baroreflex {}; {} after {} beats; mean of the last {} beats.\n",
             io::integrator_name(options.integrator),
             model.patient().baroreflex.enabled ? "on" : "off",
             !result.reached      ? "NO steady state"
             : result.oscillating ? "steady state of a mean over a longer window (the reflex "
                                    "oscillates over a few beats)"
                                  : "steady state",
             result.beats_to_steady, result.averaged_beats);
  const std::string with = io::standing_text(standing);
  if (!with.empty() || options.hyperaemia) {
    fmt::print("With {}{}{}.\n", with, !with.empty() && options.hyperaemia ? ", " : "",
               options.hyperaemia ? "maximal coronary vasodilation (Pd/Pa is the FFR)" : "");
  }
  fmt::print("{}", metrics_table(result.average, model));
  for (const auto& console : run.consoles) {
    const nlohmann::json c = io::console_display_json(*console);
    const auto show = [&c](const char* key, const char* format) {
      return c[key].is_null() ? std::string("not estimable")
                              : fmt::format(fmt::runtime(format), c[key].get<double>());
    };
    fmt::print("\nConsole ({}, {}), from the pump's own signals:\n", c["pump"].get<std::string>(),
               c["mode"].get<std::string>());
    fmt::print("  displayed flow     {}\n", show("displayed_flow_L_min", "{:.2f} L/min"));
    fmt::print("  LVEDP estimate     {}\n", show("lvedp_estimate_mmHg", "{:.1f} mmHg"));
    fmt::print("  CPO estimate       {}\n", show("cpo_estimate_W", "{:.2f} W"));
    fmt::print("  placement          {}\n", c["placement"].get<std::string>());
  }
  for (const auto& note : steady_notes(run, result)) {
    fmt::print("\nNote: {}.\n", note);
  }
  if (options.save_state) fmt::print("\nState saved to {}\n", options.save_state->string());
}

}  // namespace

int steady(const SteadyOptions& options) {
  const physio::PatientParameters patient = patient_from_options(options);
  if (options.save_state) {
    try {
      io::check_state_file_target(*options.save_state);
    } catch (const InputError& e) {
      throw InputError(fmt::format("--save-state {}", e.what()));
    }
  }
  sim::SimulationOptions simulation_options;
  simulation_options.integrator = options.integrator;
  const io::DeviceSetup devices = io::setup_devices(options.devices);
  io::PrepareOptions prepare;
  prepare.consoles = options.consoles;
  const sim::StandingInputs standing = standing_from_options(options, patient);
  const io::PreparedRun run = io::prepare_from_rest(patient, devices, simulation_options, prepare);
  sim::State start = run.start;
  sim::set_standing_inputs(start, standing);
  sim::Session session(run.model, start, run.bindings);
  session.set_stop_flag(stop_flag());
  std::optional<io::RunAudit> audit;
  if (options.audit) {
    audit.emplace(
        *options.audit, session,
        nlohmann::json{{"command", "steady"},
                       {"patient", patient.name},
                       {"devices", io::audit_devices_json(*run.model, run.device_settings)},
                       {"consoles", prepare.consoles},
                       {"build", io::audit_build_json()}});
  }
  const sim::SteadyStateResult result = sim::run_to_steady_state(session);
  if (options.save_state) {
    io::write_state_file(
        *options.save_state, session.save(), *run.model,
        fmt::format("periodic steady state of '{}'{}{} after {} beats", patient.name,
                    standing.none() ? "" : " with " + io::standing_text(standing),
                    result.reached ? "" : " (NOT reached)", result.beats_to_steady));
  }
  if (audit) {
    audit->finish(
        {{"steady_state_reached", result.reached}, {"beats_to_steady", result.beats_to_steady}});
  }
  if (options.json) {
    print_json(options, run, result, standing);
  } else {
    print_table(options, run, result, standing);
  }
  if (result.reached) return 0;
  std::fflush(stdout);
  fmt::print(stderr,
             "unload: error: no periodic steady state after {} beats (last beat-to-beat change "
             "{:.2g}); the numbers above are from the last beats\n",
             result.beats_to_steady, result.last_change);
  return 1;
}

}  // namespace unload::cli
