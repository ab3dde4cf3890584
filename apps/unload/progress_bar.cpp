#include "progress_bar.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace unload::cli {

namespace {
constexpr int kWidth = 30;                                        // characters of the bar itself
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);  // at most 10 draws a second
constexpr double kShortestRunWithBar_s = 5.0;  // shorter runs end before a bar helps
}  // namespace

ProgressBar::ProgressBar(double total_s, bool visible) : total_s_(total_s), visible_(visible) {}

ProgressBar::~ProgressBar() { finish(); }

bool ProgressBar::wanted(double total_s) {
  return total_s > kShortestRunWithBar_s && ::isatty(STDERR_FILENO);
}

void ProgressBar::update(double simulated_s) {
  if (!visible_) return;
  const auto now = Clock::now();
  if (now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  draw(simulated_s);
}

void ProgressBar::draw(double simulated_s) {
  const double done = std::clamp(simulated_s / total_s_, 0.0, 1.0);
  const int filled = static_cast<int>(done * kWidth);
  const double wall_s = std::chrono::duration<double>(Clock::now() - start_).count();
  const double remaining_s = done > 0 ? wall_s * (1.0 - done) / done : 0.0;
  fmt::print(stderr, "\r[{:#<{}}{:.<{}}] {:3.0f}%  {:.0f}/{:.0f} s simulated  {:.0f} s left ", "",
             filled, "", kWidth - filled, 100.0 * done, simulated_s, total_s_, remaining_s);
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (!visible_) return;
  fmt::print(stderr, "\r\033[K");  // erase the line
  std::fflush(stderr);
  visible_ = false;
}

}  // namespace unload::cli
