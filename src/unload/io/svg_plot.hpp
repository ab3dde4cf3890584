// Internal to the io layer: the SVG plots of the HTML report (io/report.hpp), written as text by
// this code, with no library and no script, so that the report fetches nothing.
//   Plot       a line plot with axes, grid, units and legend: lines (NaN breaks a line), closed
//              loops (pressure-volume loops), envelopes (the lowest and highest sample of each
//              pixel column, for a long run), shaded intervals (inflations) and vertical marks
//              (events; red when something went wrong).
//   dot_plot   one row per category: a dot at the value, a band from p10 to p90, a median tick,
//              an optional threshold line.
// Every plot is an <svg class="plot"> whose data are elements of class "data" with a data-points
// attribute (what tests/report/ checks). All text is escaped for HTML.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace unload::io::detail {

// &, <, >, " and ' as HTML entities.
std::string html_escape(std::string_view text);

// A number for people with the given decimals; an em dash when it is not finite (null, NaN).
std::string format_number(double v, int decimals);

// An event drawn as a vertical line through a plot of time.
struct EventMark {
  double t_s = 0;
  std::string label;
  bool trouble = false;  // a fault or VF (what can go wrong): drawn red
};

// A line (x, y), or with lo and hi an envelope (x, lo..hi); its colour from a palette if empty.
struct Series {
  std::string name;
  std::vector<double> x, y;    // a line (NaN breaks it)
  std::vector<double> lo, hi;  // with x: an envelope when given
  std::string colour;
  bool dashed = false;
  bool closed = false;  // a loop
};

// An interval of x shaded grey, with a tooltip.
struct Shade {
  double x0 = 0, x1 = 0;
  std::string label;
};

// A step of 1, 2 or 5 times a power of ten that cuts `range` into about n parts.
double nice_step(double range, int n);

// Decimals that show a tick step (0.25: 2), at most 12.
int decimals_for(double step);

// Tick values from `from` up to `to`, `step` apart; none when they would be too many (a range
// beyond a double's precision: adding the step would not move on).
std::vector<double> ticks(double from, double to, double step);

class Plot {
 public:
  Plot(std::string title, std::string x_label, std::string y_label)
      : title_(std::move(title)), x_label_(std::move(x_label)), y_label_(std::move(y_label)) {}

  void add(Series s);
  void shade(double x0, double x1, std::string label) {
    shades_.push_back({x0, x1, std::move(label)});
  }
  void mark(const EventMark& m) { marks_.push_back(m); }
  void set_x_range(double lo, double hi) { x_fixed_ = {lo, hi}; }
  void set_size(int w, int h) {
    width_ = w;
    height_ = h;
  }

  // The <svg>; "" when no series has two finite points (the caller says there is nothing to
  // draw).
  std::string svg() const;

 private:
  std::string title_, x_label_, y_label_;
  std::vector<Series> series_;
  std::vector<Shade> shades_;
  std::vector<EventMark> marks_;
  std::optional<std::pair<double, double>> x_fixed_;
  int width_ = 920, height_ = 280;
};

// One row of a dot plot (NaN: not drawn).
struct Dot {
  std::string name;
  static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  double value = kNone, p10 = kNone, median = kNone, p90 = kNone;
};

// "" when no dot has a finite value.
std::string dot_plot(const std::string& title, const std::string& x_label,
                     const std::vector<Dot>& dots,
                     double threshold = std::numeric_limits<double>::quiet_NaN(),
                     const std::string& threshold_label = {});

// A <figure> with the plot and its caption, or a paragraph saying there is no data to draw.
std::string figure(const std::string& svg, const std::string& caption);

}  // namespace unload::io::detail
