#include "unload/io/parameter_file.hpp"

#include <fmt/format.h>

#include "unload/core/error.hpp"
#include "unload/io/toml_errors.hpp"

namespace unload::io::detail {

namespace fs = std::filesystem;

toml::table parse_toml_file(const fs::path& file) {
  if (!fs::exists(file)) throw InputError(fmt::format("{}: no such file", file.string()));
  try {
    return toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}:{}: not valid TOML: {}", file.string(), e.source().begin.line,
                                 e.description()));
  }
}

namespace {
void walk(const fs::path& file, const std::string& prefix, const toml::table& table,
          std::string_view skip,
          const std::function<void(const std::string&, const toml::table&)>& visit) {
  for (const auto& [k, node] : table) {
    if (prefix.empty() && k.str() == skip) continue;
    const std::string key =
        prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    const auto* t = node.as_table();
    if (!t) {
      throw InputError(fmt::format(
          "{}: key '{}': expected {{ value = ..., unit = \"...\", source = \"...\" }}, got {}",
          location(file, node), key, describe(node)));
    }
    if (t->contains("value")) {
      visit(key, *t);
    } else {
      walk(file, key, *t, skip, visit);
    }
  }
}
}  // namespace

void for_each_entry(const fs::path& file, const toml::table& doc, std::string_view skip,
                    const std::function<void(const std::string&, const toml::table&)>& visit) {
  walk(file, "", doc, skip, visit);
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
  const auto* value = entry.get("value");
  if (!value->is_number()) {
    throw InputError(fmt::format("{}: key '{}': expected a number in {}, got {}",
                                 location(file, *value), key, unit, describe(*value)));
  }
  const double v = *value->value<double>();
  if (!(v >= min && v <= max)) {
    throw InputError(fmt::format("{}: key '{}': expected a value between {} and {} {}, got {}",
                                 location(file, *value), key, min, max, unit, v));
  }
  return v;
}

}  // namespace unload::io::detail
