#pragma once

// A small SVG writer for the HTML report: scales, axes and marks as text.
// Every piece of user text goes through escape(); numbers are formatted here.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "escape.hpp"

namespace tunekit::report::detail {

/// A number for display: 6 significant digits.
inline std::string num(double x) {
  if (!std::isfinite(x)) return std::isnan(x) ? "NaN" : (x > 0 ? "inf" : "-inf");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

/// A pixel coordinate: one decimal is plenty.
inline std::string px(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::isfinite(x) ? x : 0.0);
  return buf;
}

/// Maps data to pixels, linearly or logarithmically; `p0` is where `lo` lands.
struct scale {
  double lo = 0, hi = 1;
  bool log = false;
  double p0 = 0, p1 = 1;

  /// A scale over the finite values of `data`, padded a little, log only if
  /// asked and every value is positive.
  static scale fit(const std::vector<double>& data, double p0, double p1, bool want_log = false, bool pad = true) {
    scale s{0, 1, false, p0, p1};
    double lo = INFINITY, hi = -INFINITY;
    for (double v : data)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    if (!(lo <= hi)) return s;
    s.log = want_log && lo > 0;
    if (s.log) lo = std::log10(lo), hi = std::log10(hi);
    if (lo == hi) lo -= 0.5, hi += 0.5;
    else if (pad) {
      const double m = 0.05 * (hi - lo);
      lo -= m, hi += m;
    }
    s.lo = s.log ? std::pow(10.0, lo) : lo;
    s.hi = s.log ? std::pow(10.0, hi) : hi;
    return s;
  }

  double t(double v) const {
    if (log) return (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    return (v - lo) / (hi - lo);
  }
  double operator()(double v) const { return p0 + t(v) * (p1 - p0); }

  /// Round tick values inside [lo, hi]: 1-2-5 steps, or powers of ten on a
  /// log scale spanning more than a decade.
  std::vector<double> ticks(int target = 5) const {
    std::vector<double> out;
    if (log && std::log10(hi) - std::log10(lo) >= 1) {
      for (double e = std::ceil(std::log10(lo)); e <= std::floor(std::log10(hi)); ++e) out.push_back(std::pow(10.0, e));
      while (out.size() > 8) {  // thin out very wide ranges
        std::vector<double> half;
        for (std::size_t i = 0; i < out.size(); i += 2) half.push_back(out[i]);
        out = half;
      }
      return out;
    }
    const double raw = (hi - lo) / target;
    if (!(raw > 0) || !std::isfinite(raw)) return {lo};
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / mag;
    const double step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
    for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
    return out;
  }
};

/// Colour of a value: t = 0 (best) dark blue through teal to t = 1 (worst) pale yellow.
inline std::string color(double t) {
  t = std::clamp(std::isfinite(t) ? t : 0.5, 0.0, 1.0);
  static constexpr double stops[3][3] = {{33, 64, 154}, {32, 164, 134}, {240, 216, 96}};
  const int k = t < 0.5 ? 0 : 1;
  const double u = t < 0.5 ? t * 2 : (t - 0.5) * 2;
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(stops[k][0] + u * (stops[k + 1][0] - stops[k][0])),
                static_cast<int>(stops[k][1] + u * (stops[k + 1][1] - stops[k][1])),
                static_cast<int>(stops[k][2] + u * (stops[k + 1][2] - stops[k][2])));
  return buf;
}

/// Builds one <svg> element. `id` and `label` identify the plot (tests look
/// for them); every text is escaped.
class svg {
 public:
  svg(std::string_view id, double width, double height, std::string_view label) : width_(width), height_(height) {
    out_ = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" id=\"" + escape(id) + "\" width=\"" + px(width) +
           "\" height=\"" + px(height) + "\" viewBox=\"0 0 " + px(width) + " " + px(height) + "\" role=\"img\" aria-label=\"" +
           escape(label) + "\">";
  }

  double width() const { return width_; }
  double height() const { return height_; }

  void line(double x1, double y1, double x2, double y2, std::string_view cls) {
    out_ += "<line class=\"" + std::string(cls) + "\" x1=\"" + px(x1) + "\" y1=\"" + px(y1) + "\" x2=\"" + px(x2) +
            "\" y2=\"" + px(y2) + "\"/>";
  }
  /// A polyline through the points; `style` is ours (colours), never user text.
  void polyline(const std::vector<std::pair<double, double>>& pts, std::string_view cls, std::string_view style = {},
                std::string_view tooltip = {}) {
    if (pts.empty()) return;
    out_ += "<polyline class=\"" + std::string(cls) + "\" points=\"";
    for (const auto& [x, y] : pts) out_ += px(x) + "," + px(y) + " ";
    out_ += "\"";
    if (!style.empty()) out_ += " style=\"" + std::string(style) + "\"";
    close_with_title(tooltip, "polyline");
  }
  void circle(double x, double y, double r, std::string_view cls, std::string_view fill = {}, std::string_view tooltip = {}) {
    out_ += "<circle class=\"" + std::string(cls) + "\" cx=\"" + px(x) + "\" cy=\"" + px(y) + "\" r=\"" + px(r) + "\"";
    if (!fill.empty()) out_ += " style=\"fill:" + std::string(fill) + "\"";
    close_with_title(tooltip, "circle");
  }
  /// An x-shaped marker (pruned trials).
  void cross(double x, double y, double r, std::string_view cls, std::string_view tooltip = {}) {
    out_ += "<path class=\"" + std::string(cls) + "\" d=\"M" + px(x - r) + "," + px(y - r) + "L" + px(x + r) + "," +
            px(y + r) + "M" + px(x - r) + "," + px(y + r) + "L" + px(x + r) + "," + px(y - r) + "\"";
    close_with_title(tooltip, "path");
  }
  void rect(double x, double y, double w, double h, std::string_view cls, std::string_view tooltip = {}) {
    out_ += "<rect class=\"" + std::string(cls) + "\" x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" +
            px(std::max(0.0, w)) + "\" height=\"" + px(std::max(0.0, h)) + "\"";
    close_with_title(tooltip, "rect");
  }
  /// Text (user text allowed: escaped). `anchor`: start, middle or end.
  void text(double x, double y, std::string_view s, std::string_view anchor = "start", std::string_view cls = "label",
            double rotate = 0, std::size_t max_chars = 40) {
    out_ += "<text class=\"" + std::string(cls) + "\" x=\"" + px(x) + "\" y=\"" + px(y) + "\" text-anchor=\"" +
            std::string(anchor) + "\"";
    if (rotate != 0) out_ += " transform=\"rotate(" + px(rotate) + " " + px(x) + " " + px(y) + ")\"";
    out_ += ">" + escape(shorten(s, max_chars));
    if (shorten(s, max_chars).size() != s.size()) out_ += "<title>" + escape(s) + "</title>";  // the full text on hover
    out_ += "</text>";
  }

  /// Axes of a plot area: a frame, ticks and labels of both scales.
  void axes(const scale& x, const scale& y, std::string_view x_label, std::string_view y_label, bool x_ticks = true) {
    const double left = x.p0, right = x.p1, bottom = y.p0, top = y.p1;
    rect(left, top, right - left, bottom - top, "frame");
    for (double v : x_ticks ? x.ticks() : std::vector<double>{}) {
      const double p = x(v);
      if (p < left - 0.5 || p > right + 0.5) continue;
      line(p, bottom, p, bottom + 4, "tick");
      line(p, bottom, p, top, "grid");
      text(p, bottom + 16, num(v), "middle", "tick-label");
    }
    for (double v : y.ticks()) {
      const double p = y(v);
      if (p > bottom + 0.5 || p < top - 0.5) continue;
      line(left - 4, p, left, p, "tick");
      line(left, p, right, p, "grid");
      text(left - 6, p + 4, num(v), "end", "tick-label");
    }
    text((left + right) / 2, bottom + 34, x_label, "middle", "axis-label");
    text(left - 46, (top + bottom) / 2, y_label, "middle", "axis-label", -90);
  }

  std::string str() const { return out_ + "</svg>"; }

  /// Long labels are cut (by code point) so they do not run over the plot.
  static std::string shorten(std::string_view s, std::size_t max_chars = 40) {
    std::size_t chars = 0, i = 0;
    for (; i < s.size(); ++i)
      if ((static_cast<unsigned char>(s[i]) & 0xC0u) != 0x80u && ++chars > max_chars) break;
    if (i >= s.size()) return std::string(s);
    return std::string(s.substr(0, i)) + "\xE2\x80\xA6";  // ellipsis
  }

 private:
  void close_with_title(std::string_view tooltip, std::string_view tag) {
    if (tooltip.empty()) {
      out_ += "/>";
      return;
    }
    out_ += "><title>" + escape(tooltip) + "</title></" + std::string(tag) + ">";
  }

  std::string out_;
  double width_, height_;
};

}  // namespace tunekit::report::detail
