// Cost of the inner loop, for the normal patient:
//   BM_PlantEvaluate      one evaluation of the plant's right-hand side (Circulation::evaluate),
//                         with and without filling the observables;
//   BM_IntegratorStep     one accepted step (including any rejected tries) of each integrator,
//                         over a whole beat from the beat's restart;
//   BM_SimulateTenSeconds Simulation::advance_to(10 s) from the resting initial state.
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
#include "unload/sim/simulation.hpp"

namespace {

using unload::physio::Circulation;
using unload::physio::Observables;
using unload::physio::PatientParameters;
using unload::physio::PlantInputs;
using unload::physio::PlantWorkspace;
using unload::sim::IntegratorKind;
using unload::sim::Simulation;
using unload::sim::SimulationOptions;

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

void BM_PlantEvaluate(benchmark::State& state) {
  const bool with_observables = state.range(0) != 0;
  Simulation sim(normal_patient());
  sim.advance_to(kWarmUp_s);
  const Circulation& plant = sim.plant();
  const std::vector<double> y(sim.state().begin(), sim.state().end());
  std::vector<double> dydt(plant.state_size());
  const PlantInputs& inputs = sim.inputs();
  PlantWorkspace workspace;
  Observables observables;
  Observables* obs = with_observables ? &observables : nullptr;
  const double t = sim.time();
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
  Simulation sim(normal_patient());
  sim.advance_to(kWarmUp_s);
  sim.advance_one_beat();  // now exactly at an R wave, where the simulation restarts its integrator
  const PlantInputs inputs = sim.inputs();
  const double beat_start_s = sim.time();
  const double beat_end_s = inputs.cycle.beat_start_s + inputs.cycle.period_s;
  const std::vector<double> y0(sim.state().begin(), sim.state().end());

  PlantSystem system(sim.plant(), inputs);
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
    auto sim = std::make_unique<Simulation>(normal_patient(), options);
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
