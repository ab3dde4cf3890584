#include "unload/io/svg_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>

namespace unload::io::detail {

namespace {

const std::array<const char*, 8> kColours = {"#c0392b", "#1f5fa8", "#2e8b57", "#8e44ad",
                                             "#d35400", "#16a085", "#7f8c8d", "#b8860b"};

std::string tick_text(double v, double step) {
  const int decimals = decimals_for(step);
  if (std::abs(v) < step * 1e-6) v = 0;
  return fmt::format("{:.{}f}", v, decimals);
}

template <class FX, class FY>
std::string line_path(const Series& s, const FX& X, const FY& Y) {
  std::string d;
  std::size_t n = 0;
  bool pen = false;
  for (std::size_t i = 0; i < s.x.size(); ++i) {
    if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
      pen = false;
      continue;
    }
    d +=
        fmt::format("{}{:.1f},{:.1f}", pen ? " L" : (d.empty() ? "M" : " M"), X(s.x[i]), Y(s.y[i]));
    pen = true;
    ++n;
  }
  if (n == 0) return {};
  if (s.closed && n > 2) d += " Z";
  return fmt::format(
      "<path class=\"data line\" data-points=\"{}\" d=\"{}\" stroke=\"{}\"{}><title>{}</title>"
      "</path>\n",
      n, d, s.colour, s.dashed ? " stroke-dasharray=\"5 3\"" : "", html_escape(s.name));
}

template <class FX, class FY>
std::string envelope_path(const Series& s, const FX& X, const FY& Y) {
  std::string d;
  std::size_t n = 0;
  std::size_t i = 0;
  while (i < s.x.size()) {
    // one run of buckets with samples: the highest forward, the lowest back
    std::size_t j = i;
    while (j < s.x.size() && std::isfinite(s.lo[j]) && std::isfinite(s.hi[j])) ++j;
    if (j > i) {
      for (std::size_t k = i; k < j; ++k) {
        d += fmt::format("{}{:.1f},{:.1f}", k == i ? (d.empty() ? "M" : " M") : " L", X(s.x[k]),
                         Y(s.hi[k]));
      }
      for (std::size_t k = j; k-- > i;) {
        d += fmt::format(" L{:.1f},{:.1f}", X(s.x[k]), Y(std::min(s.lo[k], s.hi[k] - 0.0)));
      }
      d += " Z";
      n += 2 * (j - i);
      i = j;
    } else {
      ++i;
    }
  }
  if (n == 0) return {};
  return fmt::format(
      "<path class=\"data envelope\" data-points=\"{}\" d=\"{}\" fill=\"{}\" stroke=\"{}\">"
      "<title>{} (lowest and highest in each pixel column)</title></path>\n",
      n, d, s.colour, s.colour, html_escape(s.name));
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string format_number(double v, int decimals) {
  if (!std::isfinite(v)) return "\u2014";
  return fmt::format("{:.{}f}", v, decimals);
}

double nice_step(double range, int n) {
  const double raw = range / n;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

// Decimals that show a tick step (0.25: 2), at most 12.
int decimals_for(double step) {
  if (!(step < 1) || !(step > 0)) return 0;
  return static_cast<int>(std::clamp(std::ceil(-std::log10(step) - 1e-9), 0.0, 12.0));
}

// Tick values from `from` up to `to`, `step` apart; none when they would be too many (a range
// beyond a double's precision: adding the step would not move on).
std::vector<double> ticks(double from, double to, double step) {
  std::vector<double> out;
  if (!(step > 0) || !std::isfinite(from) || !std::isfinite(to)) return out;
  const double n = std::floor((to - from) / step + 1e-6);
  if (!(n >= 0) || n > 60) return out;
  for (int i = 0; i <= static_cast<int>(n); ++i) out.push_back(from + i * step);
  return out;
}

void Plot::add(Series s) {
  if (s.colour.empty()) s.colour = kColours[series_.size() % kColours.size()];
  series_.push_back(std::move(s));
}

std::string Plot::svg() const {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  std::size_t points = 0;
  const auto take = [&](double x, double y) {
    if (!std::isfinite(x) || !std::isfinite(y)) return;
    x0 = std::min(x0, x);
    x1 = std::max(x1, x);
    y0 = std::min(y0, y);
    y1 = std::max(y1, y);
    ++points;
  };
  for (const auto& s : series_) {
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!s.y.empty()) take(s.x[i], s.y[i]);
      if (!s.lo.empty()) {
        take(s.x[i], s.lo[i]);
        take(s.x[i], s.hi[i]);
      }
    }
  }
  if (points < 2) return {};
  if (x_fixed_) std::tie(x0, x1) = *x_fixed_;
  if (x1 - x0 < 1e-9) {
    x0 -= 1;
    x1 += 1;
  }
  if (y1 - y0 < 1e-9) {
    y0 -= 1;
    y1 += 1;
  }
  const double pad = 0.04 * (y1 - y0);
  const bool nonnegative = y0 >= 0;
  y0 -= pad;
  y1 += pad;
  if (nonnegative) y0 = std::max(y0, 0.0);  // no axis below zero for a speed or a volume
  const double ystep = nice_step(y1 - y0, 5);
  y0 = std::floor(y0 / ystep) * ystep;
  y1 = std::ceil(y1 / ystep) * ystep;
  const double xstep = nice_step(x1 - x0, 8);

  const double left = 64, right = 14, top = 34, bottom = 44;
  const double pw = width_ - left - right, ph = height_ - top - bottom;
  const auto X = [&](double x) { return left + (x - x0) / (x1 - x0) * pw; };
  const auto Y = [&](double y) { return top + (y1 - y) / (y1 - y0) * ph; };

  std::string o = fmt::format(
      "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" "
      "width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"{}\">\n",
      width_, height_, width_, height_, html_escape(title_));
  o +=
      fmt::format("<text class=\"title\" x=\"{}\" y=\"16\">{}</text>\n", left, html_escape(title_));
  // shaded intervals (inflations)
  for (const auto& s : shades_) {
    const double a = std::clamp(X(s.x0), left, left + pw), b = std::clamp(X(s.x1), left, left + pw);
    if (b <= a) continue;
    o += fmt::format(
        "<rect class=\"shade\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\">"
        "<title>{}</title></rect>\n",
        a, top, b - a, ph, html_escape(s.label));
  }
  // grid and ticks
  o += "<g class=\"axis\">\n";
  for (const double y : ticks(y0, y1, ystep)) {
    o += fmt::format(
        "<line class=\"grid\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
        left, left + pw, Y(y), Y(y), left - 5, Y(y) + 4, tick_text(y, ystep));
  }
  for (const double x : ticks(std::ceil(x0 / xstep) * xstep, x1, xstep)) {
    o += fmt::format(
        "<line class=\"grid\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
        X(x), X(x), top, top + ph, X(x), top + ph + 16, tick_text(x, xstep));
  }
  o += fmt::format(
      "<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n"
      "<text class=\"label\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n"
      "<text class=\"label\" transform=\"translate(14 {:.1f}) rotate(-90)\" "
      "text-anchor=\"middle\">{}</text>\n</g>\n",
      left, top, pw, ph, left + pw / 2, height_ - 6, html_escape(x_label_), top + ph / 2,
      html_escape(y_label_));
  // marks (events)
  for (const auto& m : marks_) {
    if (m.t_s < x0 || m.t_s > x1) continue;
    o += fmt::format(
        "<line class=\"mark{}\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{}\" y2=\"{}\"><title>{:.0f} s: "
        "{}</title></line>\n",
        m.trouble ? " trouble" : "", X(m.t_s), X(m.t_s), top, top + ph, m.t_s,
        html_escape(m.label));
  }
  // data
  o += fmt::format(
      "<svg x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
      "viewBox=\"{} {} {} {}\" overflow=\"hidden\">\n",
      left, top, pw, ph, left, top, pw, ph);
  for (const auto& s : series_) {
    if (!s.lo.empty()) o += envelope_path(s, X, Y);
    if (!s.y.empty()) o += line_path(s, X, Y);
  }
  o += "</svg>\n";
  // legend
  double lx = left + pw;
  std::string legend;
  for (auto it = series_.rbegin(); it != series_.rend(); ++it) {
    const double w = 14 + 6.2 * static_cast<double>(it->name.size());
    lx -= w + 10;
    legend += fmt::format(
        "<rect x=\"{:.1f}\" y=\"22\" width=\"10\" height=\"4\" fill=\"{}\"/>"
        "<text x=\"{:.1f}\" y=\"28\">{}</text>\n",
        lx, it->colour, lx + 14, html_escape(it->name));
  }
  o += "<g class=\"legend\">" + legend + "</g>\n</svg>\n";
  return o;
}

std::string figure(const std::string& svg, const std::string& caption) {
  if (svg.empty()) {
    return "<p class=\"no-data\">No data to draw: " + html_escape(caption) + "</p>\n";
  }
  return "<figure>\n" + svg + "<figcaption>" + html_escape(caption) + "</figcaption>\n</figure>\n";
}

std::string dot_plot(const std::string& title, const std::string& x_label,
                     const std::vector<Dot>& dots, double threshold,
                     const std::string& threshold_label) {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0;
  std::size_t points = 0;
  for (const auto& d : dots) {
    for (const double v : {d.value, d.p10, d.p90, d.median}) {
      if (!std::isfinite(v)) continue;
      x0 = std::min(x0, v);
      x1 = std::max(x1, v);
      ++points;
    }
  }
  if (points == 0) return {};
  if (std::isfinite(threshold)) {
    x0 = std::min(x0, threshold);
    x1 = std::max(x1, threshold);
  }
  if (x1 - x0 < 1e-9) {
    x0 -= 1;
    x1 += 1;
  }
  const double pad = 0.06 * (x1 - x0);
  x0 -= pad;
  x1 += pad;
  const double step = nice_step(x1 - x0, 6);
  x0 = std::floor(x0 / step) * step;
  x1 = std::ceil(x1 / step) * step;
  const double left = 190, right = 20, top = 30, row = 26, bottom = 44;
  const double width = 920, pw = width - left - right;
  const double ph = row * static_cast<double>(dots.size());
  const double height = top + ph + bottom;
  const auto X = [&](double x) { return left + (x - x0) / (x1 - x0) * pw; };
  std::string o = fmt::format(
      "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" width=\"{}\" "
      "height=\"{}\" role=\"img\" aria-label=\"{}\">\n<text class=\"title\" x=\"{}\" "
      "y=\"16\">{}</text>\n<g class=\"axis\">\n",
      width, height, width, height, html_escape(title), left, html_escape(title));
  const int decimals = decimals_for(step);
  for (const double x : ticks(x0, x1, step)) {
    o += fmt::format(
        "<line class=\"grid\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{}\" y2=\"{}\"/><text x=\"{:.1f}\" "
        "y=\"{}\" text-anchor=\"middle\">{:.{}f}</text>\n",
        X(x), X(x), top, top + ph, X(x), top + ph + 16, std::abs(x) < step * 1e-6 ? 0.0 : x,
        decimals);
  }
  o += fmt::format(
      "<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n<text class=\"label\" "
      "x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n</g>\n",
      left, top, pw, ph, left + pw / 2, height - 6, html_escape(x_label));
  if (std::isfinite(threshold)) {
    o += fmt::format(
        "<line class=\"threshold\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{}\" "
        "y2=\"{}\"><title>{}</title>"
        "</line>\n",
        X(threshold), X(threshold), top, top + ph, html_escape(threshold_label));
  }
  for (std::size_t i = 0; i < dots.size(); ++i) {
    const auto& d = dots[i];
    const double y = top + row * (static_cast<double>(i) + 0.5);
    o += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", left - 8, y + 4,
                     html_escape(d.name));
    if (std::isfinite(d.p10) && std::isfinite(d.p90)) {
      o += fmt::format(
          "<rect class=\"data band\" data-points=\"2\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
          "height=\"10\"><title>{}: variants p10 {} to p90 {}</title></rect>\n",
          X(d.p10), y - 5, std::max(1.0, X(d.p90) - X(d.p10)), html_escape(d.name),
          format_number(d.p10, 2), format_number(d.p90, 2));
    }
    if (std::isfinite(d.median)) {
      o += fmt::format(
          "<line class=\"median\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\">"
          "<title>{}: median of the variants {}</title></line>\n",
          X(d.median), X(d.median), y - 7, y + 7, html_escape(d.name), format_number(d.median, 2));
    }
    if (std::isfinite(d.value)) {
      o += fmt::format(
          "<circle class=\"data dot\" data-points=\"1\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\">"
          "<title>{}: {}</title></circle>\n",
          X(d.value), y, html_escape(d.name), format_number(d.value, 2));
    }
  }
  o += "</svg>\n";
  return o;
}

}  // namespace unload::io::detail
