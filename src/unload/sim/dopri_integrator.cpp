// Production integrator: Boost.Odeint's Dormand-Prince 5(4) with its error-controlled stepper and
// the stepper's own fourth-order dense output. Buffers are sized in restart(); steps allocate
// nothing.
#include <algorithm>
#include <array>
#include <boost/numeric/odeint.hpp>
#include <cmath>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "unload/core/error.hpp"
#include "unload/sim/integrator.hpp"

namespace unload::sim {
namespace {

namespace odeint = boost::numeric::odeint;
using State = std::vector<double>;

// Odeint's range algebra, except that
// - for_each8 (which the Dormand-Prince stepper uses only for its dense output, calc_state) can be
//   limited to some components: each component's value is computed by the same operation either
//   way, so a selection gives the same bits;
// - every for_each (the stages, the new state, its error estimate and the dense output) runs over
//   raw pointers that the compiler may take as not overlapping, so that the loops vectorise
//   without run-time overlap checks (odeint's iterator loop over seven vectors, the error
//   estimate's, stayed scalar). Each component's arithmetic is the same expression, so its bits
//   are the same; vectors that do overlap take odeint's loop.
struct SelectiveAlgebra : odeint::range_algebra {
  std::span<const std::size_t> only;  // empty: every component
  template <class S1, class S2, class S3, class Op>
  void for_each3(S1& s1, S2& s2, S3& s3, Op op) const {
    if (overlaps(s1.data(), s2, s3)) return odeint::range_algebra::for_each3(s1, s2, s3, op);
    loop(s1.size(), op, s1.data(), s2.data(), s3.data());
  }
  template <class S1, class S2, class S3, class S4, class Op>
  void for_each4(S1& s1, S2& s2, S3& s3, S4& s4, Op op) const {
    if (overlaps(s1.data(), s2, s3, s4)) {
      return odeint::range_algebra::for_each4(s1, s2, s3, s4, op);
    }
    loop(s1.size(), op, s1.data(), s2.data(), s3.data(), s4.data());
  }
  template <class S1, class S2, class S3, class S4, class S5, class Op>
  void for_each5(S1& s1, S2& s2, S3& s3, S4& s4, S5& s5, Op op) const {
    if (overlaps(s1.data(), s2, s3, s4, s5)) {
      return odeint::range_algebra::for_each5(s1, s2, s3, s4, s5, op);
    }
    loop(s1.size(), op, s1.data(), s2.data(), s3.data(), s4.data(), s5.data());
  }
  template <class S1, class S2, class S3, class S4, class S5, class S6, class Op>
  void for_each6(S1& s1, S2& s2, S3& s3, S4& s4, S5& s5, S6& s6, Op op) const {
    if (overlaps(s1.data(), s2, s3, s4, s5, s6)) {
      return odeint::range_algebra::for_each6(s1, s2, s3, s4, s5, s6, op);
    }
    loop(s1.size(), op, s1.data(), s2.data(), s3.data(), s4.data(), s5.data(), s6.data());
  }
  template <class S1, class S2, class S3, class S4, class S5, class S6, class S7, class Op>
  void for_each7(S1& s1, S2& s2, S3& s3, S4& s4, S5& s5, S6& s6, S7& s7, Op op) const {
    if (overlaps(s1.data(), s2, s3, s4, s5, s6, s7)) {
      return odeint::range_algebra::for_each7(s1, s2, s3, s4, s5, s6, s7, op);
    }
    loop(s1.size(), op, s1.data(), s2.data(), s3.data(), s4.data(), s5.data(), s6.data(),
         s7.data());
  }
  template <class S1, class S2, class S3, class S4, class S5, class S6, class S7, class S8,
            class Op>
  void for_each8(S1& s1, S2& s2, S3& s3, S4& s4, S5& s5, S6& s6, S7& s7, S8& s8, Op op) const {
    if (!only.empty()) {
      for (const std::size_t i : only) op(s1[i], s2[i], s3[i], s4[i], s5[i], s6[i], s7[i], s8[i]);
      return;
    }
    if (overlaps(s1.data(), s2, s3, s4, s5, s6, s7, s8)) {
      return odeint::range_algebra::for_each8(s1, s2, s3, s4, s5, s6, s7, s8, op);
    }
    loop(s1.size(), op, s1.data(), s2.data(), s3.data(), s4.data(), s5.data(), s6.data(), s7.data(),
         s8.data());
  }

 private:
  // Whether the written vector is also one of those read (the stepper never does this, but the
  // algebra does not rely on it).
  template <class... S>
  static bool overlaps(const double* x, const S&... s) {
    return ((s.data() == x) || ...);
  }
  // op(x[i], a[i], ...) for every i, the vectors taken as not overlapping (checked above).
  template <class Op, class... A>
  static void loop(std::size_t n, Op& op, double* __restrict x, const A* __restrict... a) {
    for (std::size_t i = 0; i < n; ++i) op(x[i], a[i]...);
  }
};
using ErrorStepper = odeint::runge_kutta_dopri5<State, double, State, double, SelectiveAlgebra>;

// Error of a trial step, as odeint's default checker measures it (the largest ratio of a
// component's error to atol + rtol (|y| + dt |y'|)) but with each component's size counted from an
// offset: volumes from their unstressed volume. A vessel holding 800 mL of which 70 mL is stressed
// would otherwise be allowed a millilitre of error per step, over a millimetre of mercury in its
// pressure.
class OffsetErrorChecker {
 public:
  using value_type = double;
  using algebra_type = odeint::range_algebra;
  using operations_type = odeint::default_operations;

  OffsetErrorChecker(double absolute, double relative, std::vector<double> offsets)
      : absolute_(absolute),
        relative_(relative),
        offsets_(std::move(offsets)),
        ratios_(offsets_.size()) {}

  template <class State, class Deriv, class Err, class Time>
  double error(algebra_type& /*algebra*/, const State& x_old, const Deriv& dxdt_old, Err& x_err,
               Time dt) const {
    // Each component's ratio first (a loop the compiler vectorises), then their maximum (exact: the
    // same value as one running maximum, and a NaN ratio is never taken, as there).
    const double adt = std::abs(dt);
    const std::size_t n = x_err.size();
    double* ratio = ratios_.data();
    for (std::size_t i = 0; i < n; ++i) {
      const double size = std::abs(x_old[i] - offsets_[i]) + adt * std::abs(dxdt_old[i]);
      ratio[i] = std::abs(x_err[i]) / (absolute_ + relative_ * size);
    }
    std::array<double, 4> lane{};  // four running maxima: one vector register
    std::size_t i = 0;
    for (; i + lane.size() <= n; i += lane.size()) {
      for (std::size_t j = 0; j < lane.size(); ++j) lane[j] = std::max(lane[j], ratio[i + j]);
    }
    for (; i < n; ++i) lane[0] = std::max(lane[0], ratio[i]);
    return std::max(std::max(lane[0], lane[1]), std::max(lane[2], lane[3]));
  }

 private:
  double absolute_, relative_;
  std::vector<double> offsets_;
  mutable std::vector<double> ratios_;  // scratch, one per component
};
using ErrorChecker = OffsetErrorChecker;

// Proportional-integral step-size control (Gustafsson; Hairer and Wanner, Solving ODEs II, IV.2):
// the new step depends on the last accepted error as well as on this one, which damps the
// accept/reject oscillation of a purely proportional controller near the stability limit.
// Exponents 0.8/p and 0.3/p with safety 0.95 were chosen by measurement over Gustafsson's usual
// 0.7/p, 0.4/p and 0.9: 7% fewer right-hand sides for the normal patient at the same accuracy
// (integrator_test against CVODE).
class PiStepAdjuster {
 public:
  // log_previous_error: where the integrator keeps the last accepted error's logarithm (it is
  // part of the run's State, not of the stepper).
  explicit PiStepAdjuster(double* log_previous_error = nullptr)
      : log_previous_error_(log_previous_error) {}
  // Powers as exponentials of logarithms, the last error's logarithm kept: std::pow costs several
  // times an exp and a log, and this runs at every step.
  double decrease_step(double dt, double error, int /*error_order*/) const {
    return dt * std::max(0.9 * std::exp(-0.25 * std::log(error)), 0.2);
  }
  double increase_step(double dt, double error, int stepper_order) const {
    const double log_e = std::log(std::max(error, 1e-10));
    const double p = static_cast<double>(stepper_order);
    const double factor = 0.95 * std::exp((-0.8 * log_e + 0.3 * *log_previous_error_) / p);
    *log_previous_error_ = std::max(log_e, kLogErrorFloor);
    return dt * std::clamp(factor, 0.2, 4.0);
  }
  bool check_step_size_limit(double /*dt*/) const { return true; }
  double get_max_dt() const { return 0.0; }

 private:
  // Logarithm of the last accepted step's error, carried over from one beat to the next: the
  // controller's state then depends on the previous beat's steps only. (Steps still differ slightly
  // between the beats of a periodic solution when a trial near the stability bound is accepted in
  // one beat and rejected in the next; docs/model.md, section 3.)
  static constexpr double kLogErrorFloor = -9.210340371976184;  // ln(1e-4)
  double* log_previous_error_;                                  // starts at ln(1) = 0
};

using Controlled = odeint::controlled_runge_kutta<ErrorStepper, ErrorChecker, PiStepAdjuster>;

class DormandPrince final : public Integrator {
 public:
  DormandPrince(OdeSystem& system, const IntegratorOptions& o)
      : system_(system),
        options_(o),
        stepper_(ErrorChecker(o.absolute_tolerance, o.relative_tolerance, offsets(system)),
                 PiStepAdjuster(&memory_.controller)) {
    const std::size_t n = system.size();
    x_.resize(n);
    dxdt_.resize(n);
    x_new_.resize(n);
    dxdt_new_.resize(n);
    interp_.resize(n);
  }

  void restart(double t, std::span<const double> y) override {
    std::copy(y.begin(), y.end(), x_.begin());
    t_ = t_prev_ = t;
    count_rhs(t, x_, dxdt_);
    // Every segment (beat) starts from the same trial step, whatever step ended the one before
    // (the controller keeps only its memory of the last accepted error).
    dt_ = kFirstStep_s;
    segment_steps_ = 0;
  }

  double step(double t_stop) override {
    if (++segment_steps_ > kMaxStepsPerSegment) stalled();
    auto sys = [this](const State& x, State& dxdt, double t) { count_rhs(t, x, dxdt); };
    for (int attempt = 0; attempt < 10000; ++attempt) {
      double dt = std::min({dt_, options_.max_step_s, t_stop - t_});
      const bool clamped = dt < dt_;
      double t = t_;
      const auto result = stepper_.try_step(sys, x_, dxdt_, t, x_new_, dxdt_new_, dt);
      if (result == odeint::success && !all_finite(x_new_)) {
        // A trial that overflowed (a wild stage state) is a rejected step, not a result.
        ++memory_.stats.rejected_steps;
        dt_ = 0.25 * dt;
        continue;
      }
      if (result == odeint::success) {
        t_prev_ = t_;
        // Land exactly on the stop time (no rounding residue at beat boundaries).
        t_ = (std::abs(t - t_stop) < 1e-12 * std::max(1.0, std::abs(t_stop))) ? t_stop : t;
        x_.swap(x_new_);
        dxdt_.swap(dxdt_new_);
        ++memory_.stats.steps;
        // Keep the controller's proposal unless the step was shortened to meet t_stop.
        if (!clamped) dt_ = dt;
        return t_;
      }
      ++memory_.stats.rejected_steps;
      dt_ = dt;
      if (dt_ < 1e-12) break;
    }
    throw SimulationError(failed_step_message(
        "production", t_, "every trial step failed, down to 1e-12 s or 10,000 trials"));
  }

  void interpolate(double t, std::span<double> y) override {
    // x_ and dxdt_ hold the new end point after the swap; the stepper keeps its stages.
    stepper_.stepper().calc_state(t, interp_, x_old_for_interp(), dxdt_old_for_interp(), t_prev_,
                                  x_, dxdt_, t_);
    std::copy(interp_.begin(), interp_.end(), y.begin());
  }

  void interpolate_components(double t, std::span<double> y,
                              std::span<const std::size_t> components) override {
    if (components.empty()) return;
    auto& stepper = stepper_.stepper();
    stepper.algebra().only = components;
    stepper.calc_state(t, interp_, x_old_for_interp(), dxdt_old_for_interp(), t_prev_, x_, dxdt_,
                       t_);
    stepper.algebra().only = {};
    for (const std::size_t i : components) y[i] = interp_[i];
  }

  std::span<const double> state() const override { return x_; }
  IntegratorStats stats() const override { return memory_.stats; }
  IntegratorMemory memory() const override { return memory_; }
  void set_memory(const IntegratorMemory& m) override { memory_ = m; }

 private:
  static std::vector<double> offsets(const OdeSystem& system) {
    std::vector<double> o(system.size());
    system.error_offsets(o);
    return o;
  }
  static bool all_finite(const State& x) {
    // A count without an early exit: the loop over a few dozen values vectorises (a non-finite
    // state is rare).
    std::size_t non_finite = 0;
    for (double v : x) non_finite += !(std::abs(v) <= std::numeric_limits<double>::max());
    return non_finite == 0;
  }
  void count_rhs(double t, const State& x, State& dxdt) {
    ++memory_.stats.rhs_evaluations;
    system_.rhs(t, x.data(), dxdt.data());
  }
  // After a successful step, x_new_/dxdt_new_ hold the previous end point (swapped).
  const State& x_old_for_interp() const { return x_new_; }
  const State& dxdt_old_for_interp() const { return dxdt_new_; }

  [[noreturn]] void stalled() const {
    throw SimulationError(stalled_message("production", t_, t_ - t_prev_));
  }

  static constexpr double kFirstStep_s = 1e-3;
  OdeSystem& system_;
  IntegratorOptions options_;
  IntegratorMemory memory_;  // before the stepper: its step adjuster keeps a pointer into it
  Controlled stepper_;
  State x_, dxdt_, x_new_, dxdt_new_, interp_;
  double dt_ = 0;
  long segment_steps_ = 0;  // steps since the last restart (kMaxStepsPerSegment)
};

}  // namespace

std::unique_ptr<Integrator> make_dormand_prince(OdeSystem& system, const IntegratorOptions& o) {
  return std::make_unique<DormandPrince>(system, o);
}

}  // namespace unload::sim
