// Error types shared by every layer.
//
// InputError: something a user gave us (file, CLI argument, message) is wrong. It names where
// (file, line, key) and what was expected; front ends print it once and exit with code 2.
// SimulationError: the run itself failed (a non-finite value, no steady state); exit code 1.
// Interrupted: a run was asked to stop (a Session's stop flag, set e.g. by a signal handler);
// front ends clean up and say so.
#pragma once

#include <stdexcept>
#include <string>

namespace unload {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class SimulationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace unload
