// Internal to the io layer: files of sourced parameters (patient presets, device data), where each
// parameter is written as
//   key = { value = ..., unit = "...", source = "..." }
// in nested tables. These helpers read such a file and check one entry at a time; every error
// names the file, the line, the key and what was expected.
#pragma once

#include <toml++/toml.h>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace unload::io::detail {

// Visits every key of `doc` depth-first in the file's order, with its dotted key
// ("a.b.c"); visit returns true to descend into the node (a table), false to go on past it. The
// walk is iterative (an explicit stack), so a deep file cannot overflow the call stack.
void walk_dotted(const toml::table& doc,
                 const std::function<bool(const std::string&, const toml::node&)>& visit);

// Files are read with input_file.hpp's parse_toml_file (regular files only, size and key depth
// limits).
//
// Calls visit(key, entry) for every { value, unit, source } entry, with the dotted key, in the
// file's order, skipping the top-level table named `skip` (the file's own header, e.g. [preset]).
// Anything else that is not such an entry or a table of them is an error. The walk is iterative.
void for_each_entry(const std::filesystem::path& file, const toml::table& doc,
                    std::string_view skip,
                    const std::function<void(const std::string&, const toml::table&)>& visit);

// The entry's source text; checks that it has only value, unit and source, and a source.
std::string entry_source(const std::filesystem::path& file, const std::string& key,
                         const toml::table& entry);

// The entry's value as a number in `unit` within [min, max] (detail::checked_number).
double entry_number(const std::filesystem::path& file, const std::string& key,
                    const toml::table& entry, std::string_view unit, double min, double max);

}  // namespace unload::io::detail
