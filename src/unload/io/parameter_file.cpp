#include "unload/io/parameter_file.hpp"

#include <fmt/format.h>

#include <vector>

#include "unload/core/error.hpp"
#include "unload/io/toml_errors.hpp"

namespace unload::io::detail {

namespace fs = std::filesystem;

void walk_dotted(const toml::table& doc,
                 const std::function<bool(const std::string&, const toml::node&)>& visit) {
  // Depth-first in the file's order, with an explicit stack: (table, its dotted key, next entry).
  struct Level {
    const toml::table* table;
    std::string prefix;
    toml::table::const_iterator next;
  };
  std::vector<Level> stack{{&doc, "", doc.begin()}};
  while (!stack.empty()) {
    Level& level = stack.back();
    if (level.next == level.table->end()) {
      stack.pop_back();
      continue;
    }
    const toml::key& k = level.next->first;
    const toml::node& node = level.next->second;
    ++level.next;
    std::string key =
        level.prefix.empty() ? std::string(k.str()) : level.prefix + "." + std::string(k.str());
    if (visit(key, node)) {
      if (const auto* t = node.as_table()) stack.push_back({t, std::move(key), t->begin()});
    }
  }
}

void for_each_entry(const fs::path& file, const toml::table& doc, std::string_view skip,
                    const std::function<void(const std::string&, const toml::table&)>& visit) {
  walk_dotted(doc, [&](const std::string& key, const toml::node& node) {
    if (key == skip) return false;  // only a top-level key has no dot
    const auto* t = node.as_table();
    if (!t) {
      throw InputError(fmt::format(
          "{}: key '{}': expected {{ value = ..., unit = \"...\", source = \"...\" }}, got {}",
          location(file, node), key, describe(node)));
    }
    if (!t->contains("value")) return true;
    visit(key, *t);
    return false;
  });
}

std::string entry_source(const fs::path& file, const std::string& key, const toml::table& entry) {
  for (const auto& [k, v] : entry) {
    if (k != "value" && k != "unit" && k != "source") {
      throw InputError(
          fmt::format("{}: key '{}': unexpected field '{}' (expected value, unit, source)",
                      location(file, v), key, k.str()));
    }
  }
  const auto* source = entry.get("source");
  if (!source || !source->is_string() || source->value<std::string>()->empty()) {
    throw InputError(fmt::format(
        "{}: key '{}': expected a non-empty source = \"...\" naming where the value comes from",
        location(file, entry), key));
  }
  return *source->value<std::string>();
}

double entry_number(const fs::path& file, const std::string& key, const toml::table& entry,
                    std::string_view unit, double min, double max) {
  const auto* u = entry.get("unit");
  if (!u || !u->is_string() || *u->value<std::string>() != unit) {
    throw InputError(fmt::format("{}: key '{}': expected unit = \"{}\", got {}",
                                 location(file, u ? *u : static_cast<const toml::node&>(entry)),
                                 key, unit, u ? describe(*u) : "no unit"));
  }
  return checked_number(file, *entry.get("value"), key, {min, max},
                        fmt::format("a value between {} and {} {}", min, max, unit));
}

}  // namespace unload::io::detail
