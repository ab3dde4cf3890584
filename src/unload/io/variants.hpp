// Plausible variants of a patient (`unload compare --variants N --seed S`): the preset's
// parameters drawn within documented uncertainty ranges, so that a comparison can say how likely
// a result is, not only what one simulated patient does.
//
// The ranges live in data/variants.toml, one entry per varied parameter (the preset's dotted key):
//   [left_ventricle]
//   end_systolic_elastance = { value = 0.15, unit = "1", source = "..." }
// where `value` is s, the standard deviation of the natural logarithm of the factor that
// multiplies the preset's value:
//     x_i = x_preset * exp(s * z_i),   z_i ~ N(0, 1) truncated to |z_i| <= 2 (drawn again beyond)
// so a parameter keeps its sign, and 95% of variants lie within exp(+-2 s) of the preset (with
// s = 0.15: 0.74 to 1.35 times). The LV wall shares of the coronary territories, when varied, are
// then scaled together so that they sum to 1 again (the territories still cover the whole wall).
//
// Determinism: variant i of seed S is the same on every run, whatever the threads or the order in
// which variants are drawn: its generator (Boost.Random's mt19937_64, whose sequence is fixed by
// the C++ standard, and Boost's normal distribution, whose algorithm is Boost's own, not the
// standard library's) is seeded from (S, i) alone. Variant 0 is the preset itself.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "unload/physio/parameters.hpp"

namespace unload::io {

inline constexpr double kVariantTruncation = 2.0;  // |z| at most this

struct VariantParameter {
  std::string key;    // dotted preset key
  double spread = 0;  // SD of ln(factor)
  std::string source;
};

struct VariantSpec {
  std::filesystem::path file;
  std::vector<VariantParameter> parameters;  // in the file's order
};

// data_directory()/variants.toml.
std::filesystem::path default_variant_file();
// Reads and checks a variant file: every key a patient parameter, every spread within 0..1, a
// source for each. InputError naming file, line and key otherwise.
VariantSpec load_variant_spec(const std::filesystem::path& file = default_variant_file());

struct PatientVariant {
  int index = 0;
  physio::PatientParameters patient;
  // Each varied parameter's factor on the preset value (after the wall shares' rescaling).
  std::vector<std::pair<std::string, double>> factors;
};

// Variant `index` (0: the preset unchanged) of `preset` for `seed`. InputError if a drawn value
// leaves a parameter's physical range (a spread too wide for that preset).
PatientVariant draw_variant(const physio::PatientParameters& preset, const VariantSpec& spec,
                            std::uint64_t seed, int index);

}  // namespace unload::io
