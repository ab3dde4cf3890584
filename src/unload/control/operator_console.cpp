#include "unload/control/operator_console.hpp"

#include <cmath>
#include <string>

#include "unload/core/error.hpp"

namespace unload::control {

void OperatorConsole::tick(double /*t_s*/, std::span<const SignalFrame> frames,
                           std::vector<Command>& commands) {
  commands.insert(commands.end(), pending_.begin(), pending_.end());
  pending_.clear();
  if (!frames.empty()) last_ = frames.back();
  ++ticks_;
}

void OperatorConsole::operator_input(double /*t_s*/, const Command& input) {
  pending_.push_back(input);
}

// Layout: ticks, count, (device, kind, value) x count, last frame's time, device and values.
void OperatorConsole::save_state(std::vector<double>& out) const {
  out.push_back(static_cast<double>(ticks_));
  out.push_back(static_cast<double>(pending_.size()));
  for (const auto& c : pending_) {
    out.insert(out.end(), {static_cast<double>(c.device), static_cast<double>(c.kind), c.value});
  }
  out.push_back(last_.t_s);
  out.push_back(static_cast<double>(last_.device));
  out.insert(out.end(), last_.value.begin(), last_.value.end());
}

void OperatorConsole::load_state(std::span<const double> in) {
  const auto fail = [] { throw InputError("operator console: the saved state does not fit"); };
  if (in.size() < 2) fail();
  const auto count = static_cast<std::size_t>(in[1]);
  if (in.size() != 2 + 3 * count + 2 + signal_count) fail();
  ticks_ = static_cast<long>(in[0]);
  pending_.clear();
  for (std::size_t i = 0; i < count; ++i) {
    const double* c = &in[2 + 3 * i];
    if (!(c[1] >= 0 && c[1] < static_cast<double>(command_kind_count))) fail();
    pending_.push_back(
        {static_cast<std::uint32_t>(c[0]), static_cast<CommandKind>(static_cast<int>(c[1])), c[2]});
  }
  const double* f = &in[2 + 3 * count];
  last_.t_s = f[0];
  last_.device = static_cast<std::uint32_t>(f[1]);
  for (std::size_t i = 0; i < signal_count; ++i) last_.value[i] = f[2 + i];
}

}  // namespace unload::control
