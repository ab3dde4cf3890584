#include "unload/io/variants.hpp"

#include <fmt/format.h>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <cmath>

#include "unload/core/error.hpp"
#include "unload/io/input_file.hpp"
#include "unload/io/parameter_file.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/toml_errors.hpp"

namespace unload::io {

namespace {

constexpr std::string_view kHeader = "variants";

bool is_wall_share(std::string_view key) {
  return key.starts_with("coronary.") && key.ends_with(".lv_wall_share");
}

// splitmix64 (Steele, Lea & Flood, OOPSLA 2014): spreads (seed, index) over the generator's seed.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::filesystem::path default_variant_file() { return data_directory() / "variants.toml"; }

VariantSpec load_variant_spec(const std::filesystem::path& file) {
  const toml::table doc = detail::parse_toml_file(file, "variant file");
  VariantSpec spec;
  spec.file = file;
  detail::for_each_entry(file, doc, kHeader, [&](const std::string& key, const toml::table& e) {
    const std::string source = detail::entry_source(file, key, e);
    if (!physio::find_parameter_spec(key)) {
      throw InputError(
          fmt::format("{}: unknown patient parameter '{}' (keys as in the presets, "
                      "e.g. left_ventricle.end_systolic_elastance)",
                      detail::location(file, e), key));
    }
    for (const auto& earlier : spec.parameters) {
      if (earlier.key == key) {
        throw InputError(fmt::format("{}: '{}' is given twice", detail::location(file, e), key));
      }
    }
    const double spread = detail::entry_number(file, key, e, "1", 0.0, 1.0);
    spec.parameters.push_back({key, spread, source});
  });
  return spec;
}

PatientVariant draw_variant(const physio::PatientParameters& preset, const VariantSpec& spec,
                            std::uint64_t seed, int index) {
  PatientVariant v;
  v.index = index;
  v.patient = preset;
  if (index == 0) {
    for (const auto& p : spec.parameters) v.factors.emplace_back(p.key, 1.0);
    return v;
  }
  boost::random::mt19937_64 generator(mix(seed ^ mix(static_cast<std::uint64_t>(index))));
  boost::random::normal_distribution<double> normal(0.0, 1.0);
  std::vector<Override> overrides;
  double share_sum = 0, share_sum_preset = 0;
  for (const auto& p : spec.parameters) {
    double z = normal(generator);
    while (std::abs(z) > kVariantTruncation) z = normal(generator);
    const double factor = std::exp(p.spread * z);
    v.factors.emplace_back(p.key, factor);
    const double value = physio::find_parameter_spec(p.key)->field(v.patient);
    overrides.push_back({p.key, value * factor, fmt::format("{} ({})", spec.file.string(), p.key)});
    if (is_wall_share(p.key)) share_sum += value * factor, share_sum_preset += value;
  }
  if (share_sum > 0) {
    // Scale the varied wall shares so that all of them sum to what they summed to in the preset.
    for (std::size_t k = 0; k < overrides.size(); ++k) {
      if (!is_wall_share(overrides[k].key)) continue;
      overrides[k].value *= share_sum_preset / share_sum;
      v.factors[k].second *= share_sum_preset / share_sum;
    }
  }
  try {
    apply_overrides(v.patient, overrides, spec.file.string());
  } catch (const InputError& e) {
    throw InputError(fmt::format("variant {} of seed {}: {}", index, seed, e.what()));
  }
  return v;
}

}  // namespace unload::io
