// Stopping a command cleanly. While a StopSignals is alive, SIGINT, SIGTERM, SIGHUP and SIGPIPE
// (Ctrl-C, kill, a closed terminal, a closed pipe) do not end the process: they set one flag,
// which every Session of the command polls at each integrator step (sim::Session::set_stop_flag),
// so that a run, a steady-state computation or a benchmark stops within milliseconds and throws
// unload::Interrupted; main() then lets the command's destructors clean up (a run's staging
// directory, a state file's temporary) and exits with 128 + the signal's number. A signal that was
// ignored when unload started (nohup, a background job's SIGINT) stays ignored.
#pragma once

#include <atomic>
#include <string>

namespace unload::cli {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
};

// The flag the handlers set (for Session::set_stop_flag); never null.
const std::atomic<bool>* stop_flag();
// The number of the first signal received, or 0.
int stop_signal();
// Its name, e.g. "SIGINT".
std::string stop_signal_name();

}  // namespace unload::cli
