#include "unload/io/strategy.hpp"

#include <fmt/format.h>

#include "unload/core/error.hpp"
#include "unload/devices/registry.hpp"

namespace unload::io {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string known_kinds() {
  std::string known = "none";
  for (const auto& k : device_kinds()) known += ", " + k;
  return known;
}

}  // namespace

std::string_view strategy_setting(std::string_view device_kind) {
  const auto* type = devices::find_device_type(device_kind);
  if (!type) return {};
  if (type->family == "micro-axial pump") return "level";
  if (type->family == "balloon pump") return "ratio";
  if (type->family == "va-ecmo") return "flow";
  return {};
}

Strategy parse_strategy(std::string_view text, std::string_view origin) {
  text = trim(text);
  Strategy s;
  s.text = std::string(text);
  // Where every error of this strategy starts, the devices' own included (their origin).
  const std::string where = fmt::format("{}: strategy '{}'", origin, text);
  const auto fail = [&](const std::string& what) {
    return InputError(fmt::format("{}: {}", where, what));
  };
  if (text.empty()) throw fail("empty (expected none, KIND or KIND:VALUE, joined with +)");
  if (text == "none") return s;
  std::string_view rest = text;
  while (true) {
    const auto plus = rest.find('+');
    const std::string_view part = trim(rest.substr(0, plus));
    if (part.empty()) throw fail("an empty part around '+' (expected KIND or KIND:VALUE)");
    if (part == "none") throw fail("'none' cannot be combined with a device");
    const auto colon = part.find(':');
    const std::string kind(trim(part.substr(0, colon)));
    if (kind == "none") throw fail("'none' takes no value (expected none alone)");
    if (!devices::find_device_type(kind)) {
      throw fail(fmt::format("unknown device '{}' (expected one of: {})", kind, known_kinds()));
    }
    DeviceRequest request{kind, {}, where};
    if (colon != std::string_view::npos) {
      const std::string value(trim(part.substr(colon + 1)));
      const std::string_view setting = strategy_setting(kind);
      if (value.empty()) {
        throw fail(fmt::format("'{}:' has no value (expected {}:{})", kind, kind,
                               setting.empty() ? "VALUE" : setting));
      }
      if (setting.empty()) throw fail(fmt::format("'{}' takes no value", kind));
      request.settings.emplace_back(std::string(setting), value);
    }
    s.devices.push_back(std::move(request));
    if (plus == std::string_view::npos) break;
    rest = rest.substr(plus + 1);
  }
  s.setup = setup_devices(s.devices);  // its errors start with `where`
  return s;
}

namespace {
// Whether two strategies attach the same devices with the same settings, in whatever order and
// however written (impella-cp:P8 and impella-cp:p8; iabp:1 and iabp:1:1; A+B and B+A).
bool same_devices(const Strategy& a, const Strategy& b) {
  const auto& x = a.setup;
  const auto& y = b.setup;
  if (x.blocks.size() != y.blocks.size()) return false;
  for (std::size_t i = 0; i < x.blocks.size(); ++i) {
    bool found = false;
    for (std::size_t j = 0; j < y.blocks.size() && !found; ++j) {
      found = x.blocks[i]->kind() == y.blocks[j]->kind() &&
              x.settings[i].value == y.settings[j].value && x.speed_given[i] == y.speed_given[j];
    }
    if (!found) return false;
  }
  return true;
}
}  // namespace

std::vector<Strategy> parse_strategies(std::string_view list, std::string_view origin) {
  std::vector<Strategy> out;
  std::string_view rest = list;
  while (true) {
    const auto comma = rest.find(',');
    Strategy s = parse_strategy(rest.substr(0, comma), origin);
    for (const auto& earlier : out) {
      if (earlier.text == s.text) {
        throw InputError(fmt::format("{}: strategy '{}' is given twice", origin, s.text));
      }
      if (same_devices(earlier, s)) {
        throw InputError(
            fmt::format("{}: strategy '{}' is '{}' again (the same devices and "
                        "settings, written another way)",
                        origin, s.text, earlier.text));
      }
    }
    out.push_back(std::move(s));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out;
}

}  // namespace unload::io
