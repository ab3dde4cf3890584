// The console a micro-axial pump runs with, for now: it passes the operator's settings (a
// performance level, a purge flow) to its device at the next control tick, and keeps the last
// sensor frame it received. It is the place where the real console (modes, flow and LVEDP
// estimated from the pump's own signals, placement, alarms, regular checks) will be written.
//
// Reads:  SignalFrame of its device at every control tick (placement signal, motor current and
//         speed, purge pressure and flow: see core/signals.hpp).
// Writes: Command (speed_rpm, purge_flow_mL_h, dextrose_pct) when the operator changes one.
//
// Like every console it includes no physiology or device header: it sees signals only.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "unload/core/signals.hpp"

namespace unload::control {

class OperatorConsole final : public Controller {
 public:
  void tick(double t_s, std::span<const SignalFrame> frames,
            std::vector<Command>& commands) override;
  void operator_input(double t_s, const Command& input) override;
  void save_state(std::vector<double>& out) const override;
  void load_state(std::span<const double> in) override;

  // The last frame received (NaN everywhere before the first tick), and how many ticks it saw.
  const SignalFrame& last_frame() const { return last_; }
  long ticks() const { return ticks_; }

 private:
  std::vector<Command> pending_;  // entered by the operator, sent at the next tick
  SignalFrame last_;
  long ticks_ = 0;
};

}  // namespace unload::control
