// A one-line progress bar for long runs, drawn on stderr with '\r' only when stderr is a terminal
// (never into a log file or a pipe), and at most ten times a second so drawing costs nothing.
#pragma once

#include <chrono>

namespace unload::cli {

class ProgressBar {
 public:
  // total_s: simulated time the run will reach. The bar stays silent when `visible` is false.
  ProgressBar(double total_s, bool visible);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void update(double simulated_s);
  // Erases the bar so that what follows starts on a clean line.
  void finish();

  // Whether a run of this length on this stderr deserves a bar.
  static bool wanted(double total_s);

 private:
  void draw(double simulated_s);

  using Clock = std::chrono::steady_clock;
  double total_s_;
  bool visible_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_{};
};

}  // namespace unload::cli
