// Reference integrator: SUNDIALS CVODE (variable-order BDF, dense direct Newton solver), used to
// check the production integrator. Each step is one internal CVODE step (CV_ONE_STEP) with a stop
// time; interpolation uses CVODE's own dense output (CVodeGetDky).
#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "unload/core/error.hpp"
#include "unload/sim/integrator.hpp"

namespace unload::sim {
namespace {

void check(int flag, const char* what) {
  if (flag < 0) {
    throw SimulationError(std::string("CVODE: ") + what + " failed (flag " + std::to_string(flag) +
                          ")");
  }
}

class Cvode final : public Integrator {
 public:
  Cvode(OdeSystem& system, const IntegratorOptions& o) : system_(system), options_(o) {
    check(SUNContext_Create(nullptr, &ctx_), "SUNContext_Create");
    const auto n = static_cast<sunindextype>(system.size());
    y_ = N_VNew_Serial(n, ctx_);
    interp_ = N_VNew_Serial(n, ctx_);
    matrix_ = SUNDenseMatrix(n, n, ctx_);
    solver_ = SUNLinSol_Dense(y_, matrix_, ctx_);
    mem_ = CVodeCreate(CV_BDF, ctx_);
    if (!y_ || !interp_ || !matrix_ || !solver_ || !mem_) {
      throw SimulationError("CVODE: could not allocate the solver");
    }
    N_VConst(0.0, y_);
    check(CVodeInit(mem_, &Cvode::rhs, 0.0, y_), "CVodeInit");
    check(CVodeSStolerances(mem_, o.relative_tolerance, o.absolute_tolerance), "CVodeSStolerances");
    check(CVodeSetLinearSolver(mem_, solver_, matrix_), "CVodeSetLinearSolver");
    check(CVodeSetUserData(mem_, this), "CVodeSetUserData");
    check(CVodeSetMaxNumSteps(mem_, 1000000), "CVodeSetMaxNumSteps");
    // CVODE would print its own messages on stderr; failures reach the user once, as exceptions.
    check(CVodeSetErrHandlerFn(mem_, &Cvode::quiet, nullptr), "CVodeSetErrHandlerFn");
    check(CVodeSetMaxStep(mem_, o.max_step_s), "CVodeSetMaxStep");
  }
  ~Cvode() override {
    CVodeFree(&mem_);
    SUNLinSolFree(solver_);
    SUNMatDestroy(matrix_);
    N_VDestroy(interp_);
    N_VDestroy(y_);
    SUNContext_Free(&ctx_);
  }
  Cvode(const Cvode&) = delete;
  Cvode& operator=(const Cvode&) = delete;

  void restart(double t, std::span<const double> y) override {
    std::copy(y.begin(), y.end(), N_VGetArrayPointer(y_));
    // CVodeReInit sets CVODE's counters to zero: keep the totals.
    base_ = stats();
    counters_belong_to_run_ = true;
    check(CVodeReInit(mem_, t, y_), "CVodeReInit");
    t_ = t_prev_ = t;
    segment_steps_ = 0;
  }

  double step(double t_stop) override {
    if (++segment_steps_ > kMaxStepsPerSegment) {
      throw SimulationError(stalled_message("reference", t_, t_ - t_prev_));
    }
    check(CVodeSetStopTime(mem_, t_stop), "CVodeSetStopTime");
    double t = t_;
    if (const int flag = CVode(mem_, t_stop, y_, &t, CV_ONE_STEP); flag < 0) {
      char* name = CVodeGetReturnFlagName(flag);
      const std::string why = name ? name : std::to_string(flag);
      free(name);  // NOLINT: CVODE allocates the name with malloc
      throw SimulationError(failed_step_message("reference (CVODE)", t_, why));
    }
    const double* y = N_VGetArrayPointer(y_);
    for (std::size_t i = 0; i < system_.size(); ++i) {
      if (!std::isfinite(y[i])) {
        throw SimulationError(
            failed_step_message("reference (CVODE)", t, "its step produced a non-finite value"));
      }
    }
    t_prev_ = t_;
    t_ = t;
    ++steps_;
    return t_;
  }

  void interpolate(double t, std::span<double> y) override {
    check(CVodeGetDky(mem_, t, 0, interp_), "CVodeGetDky");
    const double* p = N_VGetArrayPointer(interp_);
    std::copy(p, p + y.size(), y.begin());
  }

  std::span<const double> state() const override {
    return {N_VGetArrayPointer(y_), system_.size()};
  }
  IntegratorStats stats() const override {
    IntegratorStats s = base_;
    if (!counters_belong_to_run_) return s;
    long v = 0;
    CVodeGetNumSteps(mem_, &v);
    s.steps += v;
    CVodeGetNumRhsEvals(mem_, &v);
    s.rhs_evaluations += v;
    CVodeGetNumErrTestFails(mem_, &v);
    s.rejected_steps += v;
    return s;
  }
  IntegratorMemory memory() const override { return {0.0, stats()}; }
  void set_memory(const IntegratorMemory& m) override {
    base_ = m.stats;
    counters_belong_to_run_ = false;  // until the next restart
  }

 private:
  static void quiet(int /*code*/, const char* /*module*/, const char* /*function*/,
                    char* /*message*/, void* /*data*/) {}
  static int rhs(double t, N_Vector y, N_Vector ydot, void* self) {
    static_cast<Cvode*>(self)->system_.rhs(t, N_VGetArrayPointer(y), N_VGetArrayPointer(ydot));
    return 0;
  }

  OdeSystem& system_;
  IntegratorOptions options_;
  SUNContext ctx_ = nullptr;
  N_Vector y_ = nullptr, interp_ = nullptr;
  SUNMatrix matrix_ = nullptr;
  SUNLinearSolver solver_ = nullptr;
  void* mem_ = nullptr;
  long steps_ = 0;
  long segment_steps_ = 0;               // steps since the last restart (kMaxStepsPerSegment)
  IntegratorStats base_;                 // totals up to the last restart
  bool counters_belong_to_run_ = false;  // CVODE's counters count steps of this run
};

}  // namespace

std::unique_ptr<Integrator> make_dormand_prince(OdeSystem& system, const IntegratorOptions& o);

std::unique_ptr<Integrator> make_cvode(OdeSystem& system, const IntegratorOptions& o) {
  return std::make_unique<Cvode>(system, o);
}

namespace {
constexpr std::string_view kOutsideTheModel =
    "the patient's parameters may be outside what the model can integrate";
}  // namespace

std::string stalled_message(std::string_view integrator, double t_s, double last_step_s) {
  char text[320];
  std::snprintf(text, sizeof text,
                "the %.*s integrator stalled at t = %.6g s: %ld steps within one beat (the last "
                "%.3g s long); %.*s",
                static_cast<int>(integrator.size()), integrator.data(), t_s, kMaxStepsPerSegment,
                last_step_s, static_cast<int>(kOutsideTheModel.size()), kOutsideTheModel.data());
  return text;
}

std::string failed_step_message(std::string_view integrator, double t_s, std::string_view why) {
  char text[400];
  std::snprintf(
      text, sizeof text, "the %.*s integrator could not take a step at t = %.6g s (%.*s); %.*s",
      static_cast<int>(integrator.size()), integrator.data(), t_s, static_cast<int>(why.size()),
      why.data(), static_cast<int>(kOutsideTheModel.size()), kOutsideTheModel.data());
  return text;
}

IntegratorOptions default_options(IntegratorKind kind) {
  if (kind == IntegratorKind::reference) return {1e-9, 1e-8, 0.01};
  return {1e-3, 1e-2, 0.05};
}

std::string_view to_string(IntegratorKind kind) {
  return kind == IntegratorKind::reference ? "reference (SUNDIALS CVODE BDF)"
                                           : "production (Dormand-Prince 5(4), Boost.Odeint)";
}

std::unique_ptr<Integrator> make_integrator(IntegratorKind kind, OdeSystem& system,
                                            const IntegratorOptions& options) {
  if (kind == IntegratorKind::reference) return make_cvode(system, options);
  return make_dormand_prince(system, options);
}

}  // namespace unload::sim
