// Cost of the inner loop, for the normal patient:
//   BM_PlantEvaluate      one evaluation of the plant's right-hand side (Circulation::evaluate),
//                         with and without filling the observables;
//   BM_IntegratorStep     one accepted step (including any rejected tries) of each integrator,
//                         over a whole beat from the beat's restart;
//   BM_SimulateTenSeconds Session::advance_to(10 s) from the resting initial state.
// The state is taken after a few simulated seconds, so that valves move and pressures are
// physiological rather than the uniform resting fill of initial_state().
#include <benchmark/benchmark.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "unload/io/presets.hpp"
#include "unload/physio/circulation.hpp"
#include "unload/physio/parameters.hpp"
#include "unload/sim/integrator.hpp"
#include "unload/sim/model.hpp"
#include "unload/sim/session.hpp"
#include "unload/sim/state.hpp"

namespace {

using unload::physio::Circulation;
using unload::physio::Observables;
using unload::physio::PatientParameters;
using unload::physio::PlantInputs;
using unload::physio::PlantWorkspace;
using unload::sim::IntegratorKind;
using unload::sim::Session;
using unload::sim::SimulationOptions;

// A Session of the normal patient from rest.
std::unique_ptr<Session> normal_session(SimulationOptions options = {});

constexpr double kWarmUp_s = 3.0;

const PatientParameters& normal_patient() {
  static const PatientParameters patient = unload::io::load_preset("normal");
  return patient;
}

// Benchmark argument: 0 = production integrator, 1 = reference integrator.
IntegratorKind kind_of(const benchmark::State& state) {
  return state.range(0) == 0 ? IntegratorKind::production : IntegratorKind::reference;
}

// The plant with fixed inputs, as an ODE system for a bare integrator.
class PlantSystem final : public unload::sim::OdeSystem {
 public:
  PlantSystem(const Circulation& plant, const PlantInputs& inputs)
      : plant_(plant), inputs_(inputs) {}
  std::size_t size() const override { return plant_.state_size(); }
  void rhs(double t, const double* y, double* dydt) override {
    plant_.evaluate(t, std::span<const double>(y, size()), std::span<double>(dydt, size()), inputs_,
                    workspace_, nullptr);
  }

 private:
  const Circulation& plant_;
  const PlantInputs& inputs_;
  PlantWorkspace workspace_;
};

std::unique_ptr<Session> normal_session(SimulationOptions options) {
  auto model = std::make_shared<const unload::sim::Model>(
      normal_patient(), std::vector<std::shared_ptr<const unload::physio::DeviceBlock>>{}, options);
  const auto start = unload::sim::rest_state(*model);
  return std::make_unique<Session>(std::move(model), start);
}

void BM_PlantEvaluate(benchmark::State& state) {
  const bool with_observables = state.range(0) != 0;
  auto sim = normal_session();
  sim->advance_to(kWarmUp_s);
  const Circulation& plant = sim->model().plant();
  const auto now = sim->state();
  const std::vector<double> y(now.begin(), now.end());
  std::vector<double> dydt(plant.state_size());
  const PlantInputs& inputs = sim->plant_inputs();
  PlantWorkspace workspace;
  Observables observables;
  Observables* obs = with_observables ? &observables : nullptr;
  const double t = sim->time();
  for (auto _ : state) {
    plant.evaluate(t, y, dydt, inputs, workspace, obs);
    benchmark::DoNotOptimize(dydt.data());
    benchmark::DoNotOptimize(obs);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_PlantEvaluate)->ArgName("observables")->Arg(0)->Arg(1);

void BM_IntegratorStep(benchmark::State& state) {
  const IntegratorKind kind = kind_of(state);
  auto sim = normal_session();
  sim->advance_to(kWarmUp_s);
  sim->advance_beats(1);  // now exactly at an R wave, where the simulation restarts its integrator
  const PlantInputs inputs = sim->plant_inputs();
  const double beat_start_s = sim->time();
  const double beat_end_s = inputs.cycle.beat_start_s + inputs.cycle.period_s;
  const auto now = sim->state();
  const std::vector<double> y0(now.begin(), now.end());

  PlantSystem system(sim->model().plant(), inputs);
  const std::unique_ptr<unload::sim::Integrator> integrator =
      unload::sim::make_integrator(kind, system, unload::sim::default_options(kind));
  integrator->restart(beat_start_s, y0);
  for (auto _ : state) {
    if (integrator->time() >= beat_end_s) {
      state.PauseTiming();
      integrator->restart(beat_start_s, y0);
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(integrator->step(beat_end_s));
  }
  const auto stats = integrator->stats();
  if (stats.steps > 0) {
    state.counters["rhs_per_step"] =
        static_cast<double>(stats.rhs_evaluations) / static_cast<double>(stats.steps);
    state.counters["rejected_per_step"] =
        static_cast<double>(stats.rejected_steps) / static_cast<double>(stats.steps);
  }
  state.SetLabel(std::string(unload::sim::to_string(kind)));
}
BENCHMARK(BM_IntegratorStep)->ArgName("integrator")->Arg(0)->Arg(1);

void BM_SimulateTenSeconds(benchmark::State& state) {
  constexpr double kDuration_s = 10.0;
  SimulationOptions options;
  options.integrator = kind_of(state);
  for (auto _ : state) {
    state.PauseTiming();
    auto sim = normal_session(options);
    state.ResumeTiming();
    sim->advance_to(kDuration_s);
    benchmark::DoNotOptimize(sim->state().data());
    state.PauseTiming();
    sim.reset();
    state.ResumeTiming();
  }
  // Simulated seconds per second of CPU time: above 1 means faster than real time.
  state.counters["simulated_seconds"] = benchmark::Counter(
      kDuration_s * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(std::string(unload::sim::to_string(options.integrator)));
}
BENCHMARK(BM_SimulateTenSeconds)
    ->ArgName("integrator")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
