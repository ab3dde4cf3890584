// Internal to the io layer: how a TOML reader says where a bad value is and what it found, so that
// every InputError from a data file reads the same way ("FILE:LINE: key 'K': expected ..., got
// ..."), and the one checked accessor through which every number is read from TOML. Needs
// toml++; include it only from io/*.cpp.
#pragma once

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "unload/core/error.hpp"

namespace unload::io::detail {

// "FILE:LINE" of a node, or "FILE" when toml++ knows no line (implicit tables).
inline std::string location(const std::filesystem::path& file, const toml::source_region& where) {
  if (where.begin.line > 0) return fmt::format("{}:{}", file.string(), where.begin.line);
  return file.string();
}
inline std::string location(const std::filesystem::path& file, const toml::node& node) {
  return location(file, node.source());
}

// The largest integer magnitude every smaller integer of which a double holds exactly: 2^53.
inline constexpr std::int64_t kMaxExactInteger = std::int64_t{1} << 53;

// The node's number as a double, exactly: a float (NaN and infinities included; range checks
// refuse them), or an integer of magnitude at most 2^53. nullopt for anything else, including an
// integer a double would round (toml++ itself gives no value for those, and dereferencing that
// empty optional read garbage).
inline std::optional<double> exact_number(const toml::node& node) {
  if (const auto* f = node.as_floating_point()) return f->get();
  if (const auto* i = node.as_integer()) {
    const std::int64_t v = i->get();
    if (v >= -kMaxExactInteger && v <= kMaxExactInteger) return static_cast<double>(v);
  }
  return std::nullopt;
}

// What a user wrote, in words, for "expected X, got Y". Integers exactly as written; long strings
// cut.
inline std::string describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: {
      const std::string& s = node.as_string()->get();
      return fmt::format("the string \"{}{}\"", s.substr(0, 60), s.size() > 60 ? "..." : "");
    }
    case toml::node_type::integer: {
      const std::int64_t v = node.as_integer()->get();
      if (v >= -kMaxExactInteger && v <= kMaxExactInteger) return fmt::format("{}", v);
      return fmt::format(
          "{} (an integer beyond +-2^53 = 9007199254740992, which a double cannot "
          "hold exactly)",
          v);
    }
    case toml::node_type::floating_point:
      return fmt::format("{}", node.as_floating_point()->get());
    case toml::node_type::boolean:
      return node.as_boolean()->get() ? "true" : "false";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a date or time";
  }
}

// Which numbers a key accepts: [min, max], or (min, max] with above_min.
struct NumberRange {
  double min = 0;
  double max = 0;
  bool above_min = false;
};

// The one checked accessor for numbers in TOML files: the node must be a number that a double
// holds exactly, finite and within the range; otherwise an InputError
//   "FILE:LINE: key 'KEY': expected EXPECTED, got WHAT-WAS-WRITTEN".
inline double checked_number(const std::filesystem::path& file, const toml::node& node,
                             std::string_view key, NumberRange range, std::string_view expected) {
  const std::optional<double> v = exact_number(node);
  if (v && std::isfinite(*v) && (range.above_min ? *v > range.min : *v >= range.min) &&
      *v <= range.max) {
    return *v;
  }
  throw InputError(fmt::format("{}: key '{}': expected {}, got {}", location(file, node), key,
                               expected, describe(node)));
}

}  // namespace unload::io::detail
