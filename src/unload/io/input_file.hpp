// Internal to the io layer: how every input file is read (scenario files, a run's summary.json,
// patient presets, device data, state files). Before a parser sees a byte:
//   - only a regular file is opened, without blocking (a directory, FIFO, device or socket is
//     refused with what it is), and a file larger than the limit is refused with its size;
//   - a TOML text is scanned for keys with too many dotted parts and for arrays and inline tables
//     nested too deeply: toml++ builds one table per dotted part, and both it and our walks would
//     recurse that deep (a 40,000-part key overflowed the stack);
//   - a JSON text is parsed through nlohmann-json's SAX interface with a depth limit, and every
//     number in it must be one a double holds exactly (an integer within +-2^53).
// Every refusal is an InputError naming the file (and the line or key where there is one).
// The limits are documented in docs/reliability.md.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace unload::io::detail {

// Scenario files, presets, device data files and summary.json: the largest shipped file is 18 kB.
inline constexpr std::uintmax_t kMaxTextInputBytes = std::uintmax_t{4} << 20;  // 4 MiB
// State files (`unload steady --save-state`): about 110 kB; a long timeline makes them larger.
inline constexpr std::uintmax_t kMaxStateFileBytes = std::uintmax_t{16} << 20;  // 16 MiB
// Dotted parts of one TOML key (a.b.c has 3); the deepest key unload reads has 3.
inline constexpr int kMaxKeyParts = 16;
// TOML arrays and inline tables inside one another (including a table header's brackets).
inline constexpr int kMaxTomlNesting = 32;
// JSON objects and arrays inside one another; summary.json and state files nest 4 deep.
inline constexpr int kMaxJsonDepth = 32;

// Throws InputError "FILE: cannot read the WHAT: it is a directory, not a regular file" (or no
// such file, permission denied) unless `file` is a regular file: before opening one that is read
// as a stream (a FIFO would block, a directory reads as empty).
void check_input_file(const std::filesystem::path& file, std::string_view what);

// The whole text of `file`, which must be a regular file of at most max_bytes. `what` names it in
// errors ("scenario file", "patient preset", "state file").
std::string read_input_file(const std::filesystem::path& file, std::string_view what,
                            std::uintmax_t max_bytes = kMaxTextInputBytes);

// Throws InputError "FILE:LINE: ..." if the TOML text has a key of more than kMaxKeyParts dotted
// parts or nests arrays and inline tables more than kMaxTomlNesting deep. Strings and comments
// are skipped; a text this scan passes may still be invalid TOML (the parser says so).
void check_toml_shape(const std::filesystem::path& file, std::string_view text);

// Reads, scans and parses a TOML file; invalid TOML is an InputError naming the file and line.
toml::table parse_toml_file(const std::filesystem::path& file, std::string_view what);

// A fingerprint of a parsed TOML document's values: every key (tables in key order) with its
// number, string, boolean, date or array, except the `source` strings that document a value and
// the comments and layout, which the parser drops. Two files that give the same values give the
// same fingerprint; a changed value or unit changes it.
std::uint64_t value_fingerprint(const toml::table& doc);

// Parses JSON text with a depth limit; every number must be held exactly by a double. Errors name
// the file and the key path (e.g. "rerun.events[2].time"): JSON values carry no line here.
nlohmann::json parse_json_text(const std::filesystem::path& file, std::string_view text);

// The checked accessor for a number in JSON input: `j` must be a number (already exact, see
// parse_json_text), finite, within [min, max]. Errors: "FILE: key 'K': expected EXPECTED, got X".
double json_number(const std::filesystem::path& file, const nlohmann::json& j, std::string_view key,
                   double min, double max, std::string_view expected);

// A path or key as shown in a message: at most `max` bytes, with "..." when cut.
std::string shown(std::string_view text, std::size_t max = 80);

}  // namespace unload::io::detail
