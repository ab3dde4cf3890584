// Integrators behind one small interface (the SUNDIALS habit: the plant gives the right-hand side,
// the solver does the rest). Two kinds:
//   production: Dormand-Prince 5(4) with error control and dense output (Boost.Odeint);
//   reference:  CVODE variable-order BDF with a dense Newton solver (SUNDIALS), tight tolerances.
// A run alternates restart() at each discontinuity of the right-hand side (a new beat) with step()
// calls that never pass the stop time; interpolate() gives the state anywhere in the last step.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace unload::sim {

// y' = f(t, y). Implemented by the simulation on top of the plant.
class OdeSystem {
 public:
  virtual ~OdeSystem() = default;
  virtual std::size_t size() const = 0;
  virtual void rhs(double t, const double* y, double* dydt) = 0;
  // Where each component's size is counted from for the relative tolerance: the production
  // integrator weighs a step's error against |y_i - offset_i|. Zero unless the system says
  // otherwise (the circulation counts volumes from their unstressed volumes).
  virtual void error_offsets(std::span<double> offsets) const {
    for (double& o : offsets) o = 0.0;
  }
};

enum class IntegratorKind { production, reference };

struct IntegratorOptions {
  double relative_tolerance = 0;
  double absolute_tolerance = 0;
  double max_step_s = 0;
};

// Tolerances each kind uses unless told otherwise.
IntegratorOptions default_options(IntegratorKind kind);
std::string_view to_string(IntegratorKind kind);

struct IntegratorStats {
  long steps = 0;
  long rejected_steps = 0;
  long rhs_evaluations = 0;
};

// What an integrator carries from one segment to the next (across restart()): part of a
// simulation's State, so that a restored run takes exactly the steps the original took.
struct IntegratorMemory {
  double controller = 0;  // production: logarithm of the last accepted step's error (PI control)
  IntegratorStats stats;  // totals since the start of the run
};

// The most steps an integrator takes between two restarts (a segment lasts at most one beat):
// about 1,000 times what the production integrator needs for a beat of the normal patient (95),
// and 44 times the reference integrator's (2,300). A solve whose steps shrink without end (a
// patient the model cannot integrate) then fails with a SimulationError saying so, within a
// fraction of a second (production) or a few seconds (reference, whose failing steps are slow),
// instead of running on for hours.
inline constexpr long kMaxStepsPerSegment = 100000;
// The message of that failure.
std::string stalled_message(std::string_view integrator, double t_s, double last_step_s);
// The message of a step that cannot be taken at all (`why`: what failed), with the same advice.
std::string failed_step_message(std::string_view integrator, double t_s, std::string_view why);

class Integrator {
 public:
  virtual ~Integrator() = default;
  // Begins a smooth segment at (t, y).
  virtual void restart(double t, std::span<const double> y) = 0;
  // Advances one accepted step, never beyond t_stop; returns the new time. The new state is
  // finite: a step that cannot give one throws SimulationError, and so does the step after
  // kMaxStepsPerSegment since the last restart().
  virtual double step(double t_stop) = 0;
  // State at time t within the last accepted step [previous_time(), time()].
  virtual void interpolate(double t, std::span<double> y) = 0;
  // The same for the listed components of y (y is state-sized; a control tick's sensors read a
  // few states). The values are those interpolate() gives, bit for bit; the other components may
  // be left as they were (Dormand-Prince) or be filled too (this default interpolates them all).
  virtual void interpolate_components(double t, std::span<double> y,
                                      std::span<const std::size_t> components) {
    interpolate(t, y);
    (void)components;
  }
  // The end and the start of the last accepted step (plain reads: the session asks at every
  // sample and tick).
  double time() const { return t_; }
  double previous_time() const { return t_prev_; }
  virtual std::span<const double> state() const = 0;
  virtual IntegratorStats stats() const = 0;
  virtual IntegratorMemory memory() const = 0;
  // Takes over what another run carried (before the restart() that begins its next segment).
  virtual void set_memory(const IntegratorMemory& m) = 0;

 protected:
  double t_ = 0, t_prev_ = 0;  // kept by each integrator's restart() and step()
};

std::unique_ptr<Integrator> make_integrator(IntegratorKind kind, OdeSystem& system,
                                            const IntegratorOptions& options);

}  // namespace unload::sim
