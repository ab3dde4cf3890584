// Internal to the io layer: how a TOML reader says where a bad value is and what it found, so that
// every InputError from a data file reads the same way ("FILE:LINE: key 'K': expected ..., got
// ..."). Needs toml++; include it only from io/*.cpp.
#pragma once

#include <fmt/format.h>
#include <toml++/toml.h>

#include <filesystem>
#include <string>

namespace unload::io::detail {

// "FILE:LINE" of a node, or "FILE" when toml++ knows no line (implicit tables).
inline std::string location(const std::filesystem::path& file, const toml::source_region& where) {
  if (where.begin.line > 0) return fmt::format("{}:{}", file.string(), where.begin.line);
  return file.string();
}
inline std::string location(const std::filesystem::path& file, const toml::node& node) {
  return location(file, node.source());
}

// What a user wrote, in words, for "expected X, got Y".
inline std::string describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return fmt::format("the string \"{}\"", *node.value<std::string>());
    case toml::node_type::integer:
    case toml::node_type::floating_point:
      return fmt::format("{}", *node.value<double>());
    case toml::node_type::boolean:
      return *node.value<bool>() ? "true" : "false";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a date or time";
  }
}

}  // namespace unload::io::detail
