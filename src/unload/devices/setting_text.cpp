#include "unload/devices/setting_text.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>

namespace unload::devices {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower_trimmed(std::string_view text) {
  std::string out(trim(text));
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::optional<double> parse_number(std::string_view text) {
  double v = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string format_number(double v) {
  std::array<char, 32> buf{};
  const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return ec == std::errc() ? std::string(buf.data(), ptr) : std::string("?");
}

std::optional<double> parse_numeric_setting(const physio::SettingSpec& spec, std::string_view text,
                                            std::string& error) {
  const auto v = parse_number(trim(text));
  if (!v || *v < spec.min || *v > spec.max) {
    error = std::string(spec.name) + ": expected a number between " + format_number(spec.min) +
            " and " + format_number(spec.max) + " " + std::string(spec.unit) + ", got '" +
            std::string(text) + "'";
    return std::nullopt;
  }
  return v;
}

}  // namespace unload::devices
