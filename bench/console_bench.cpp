// Cost of the console's estimators (control/pump_estimator.hpp):
//   BM_PumpEstimatorUpdate  one PumpEstimator::update() (flow, LV pressure, beats, placement) on
//                           recorded frames of the Impella CP at P-8 in the hrpci preset (the
//                           console runs it 100 times per simulated second).
#include <benchmark/benchmark.h>

#include <memory>
#include <span>
#include <vector>

#include "unload/control/pump_estimator.hpp"
#include "unload/io/console_setup.hpp"
#include "unload/io/devices.hpp"
#include "unload/io/presets.hpp"
#include "unload/sim/model.hpp"
#include "unload/sim/session.hpp"
#include "unload/sim/state.hpp"

namespace {

// Records the frames a console would see.
class Recorder final : public unload::Controller {
 public:
  void tick(double, std::span<const unload::SignalFrame> frames,
            std::vector<unload::Command>&) override {
    frames_.push_back(frames[0]);
  }
  void operator_input(double, const unload::Command&) override {}
  void save_state(std::vector<double>&) const override {}
  void load_state(std::span<const double>) override {}
  std::vector<unload::SignalFrame> frames_;
};

const std::vector<unload::SignalFrame>& frames() {
  static const std::vector<unload::SignalFrame> recorded = [] {
    const auto setup = unload::io::setup_devices({{"impella-cp", {{"level", "P8"}}, "bench"}});
    auto model =
        std::make_shared<const unload::sim::Model>(unload::io::load_preset("hrpci"), setup.blocks);
    Recorder recorder;
    unload::sim::Session s(model, unload::sim::rest_state(*model, setup.settings),
                           {{0, &recorder}});
    s.advance_to(30.0);
    return recorder.frames_;
  }();
  return recorded;
}

void BM_PumpEstimatorUpdate(benchmark::State& state) {
  const auto& f = frames();
  unload::control::PumpEstimator estimator(unload::io::load_pump_characteristic("impella-cp"),
                                           unload::io::load_estimator_settings());
  std::size_t i = 0;
  double t0 = 0;
  for (auto _ : state) {
    unload::SignalFrame frame = f[i];
    frame.t_s += t0;  // time goes on when the recording starts again
    estimator.update(frame);
    benchmark::DoNotOptimize(estimator.estimates().flow_L_min);
    if (++i == f.size()) {
      i = 0;
      t0 += f.back().t_s + 0.01;
    }
  }
}
BENCHMARK(BM_PumpEstimatorUpdate);

}  // namespace
