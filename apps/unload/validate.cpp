// unload validate: the validation cases (io/validation.hpp), one line each: verdict, id, the
// published and simulated values, the interval and the source. Exit 1 when a case fails (a known
// gap does not count).
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "commands.hpp"
#include "stop_signals.hpp"
#include "unload/io/validation.hpp"
#include "unload/io/writers.hpp"

namespace unload::cli {

int validate(const ValidateOptions& options) {
  if (options.list) {
    for (const auto& id : io::validation_case_ids()) fmt::print("{}\n", id);
    return 0;
  }
  const unsigned threads =
      options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  const auto results = io::run_validation(options.filter, threads, {}, stop_flag());
  const auto [passed, failed, gaps] = io::tally(results);
  if (options.markdown) {
    fmt::print("{}", io::validation_markdown(results));
  } else if (options.json) {
    nlohmann::json cases = nlohmann::json::array();
    for (const auto& r : results) {
      cases.push_back(
          {{"id", r.id},
           {"what", r.what},
           {"source", r.source},
           {"published", r.published},
           {"unit", r.unit},
           {"low", std::isinf(r.low) ? nlohmann::json(nullptr) : nlohmann::json(r.low)},
           {"high", std::isinf(r.high) ? nlohmann::json(nullptr) : nlohmann::json(r.high)},
           {"simulated",
            std::isnan(r.simulated) ? nlohmann::json(nullptr) : nlohmann::json(r.simulated)},
           {"result", r.verdict()},
           {"known_gap", r.known_gap},
           {"detail", r.detail}});
    }
    fmt::print("{}\n", nlohmann::json{{"notice", io::kSimulationNotice},
                                      {"passed", passed},
                                      {"failed", failed},
                                      {"known_gaps", gaps},
                                      {"cases", cases}}
                           .dump());
  } else {
    fmt::print("Validation against published results (simulation, for education and research).\n");
    for (const auto& r : results) {
      fmt::print("{:<4}  {:<36} simulated {:>8.3g} {:<15} interval {:<14} published {}  [{}]\n",
                 r.verdict(), r.id, r.simulated, r.shown_unit(), r.interval_text(), r.published,
                 r.source);
      if (!r.pass) fmt::print("      {}\n", r.detail);
      if (!r.known_gap.empty() && !r.pass) fmt::print("      known gap: {}\n", r.known_gap);
    }
    fmt::print("{} cases: {} pass, {} fail, {} known gaps\n", results.size(), passed, failed, gaps);
  }
  return failed > 0 ? 1 : 0;
}

}  // namespace unload::cli
