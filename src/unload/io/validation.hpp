// Validation against published results: each case runs the model (steady states of presets with
// and without devices, single beats from a saved State) and compares one simulated number with a
// published value and the interval the model must land in. `unload validate` prints them,
// docs/validation.md is made from them, and tests/validation_test.cpp requires every case to
// pass. Nothing here tunes the model: a case that fails is a finding about the model.
//
// A case may be marked a known gap: a published result the model does not yet reproduce, with the
// reason. It is run and shown like any other (GAP instead of FAIL), and does not fail the suite;
// when it starts to pass it shows PASS and should lose its mark.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace unload::io {

struct ValidationResult {
  std::string id;         // stable name, e.g. "cheng2009.ci"
  std::string what;       // what is compared, in words
  std::string source;     // the publication
  std::string published;  // the published value, as written there
  std::string unit;
  double low = 0, high = 0;  // the interval the simulated value must lie in
  double simulated = 0;
  std::string detail;  // how it was simulated, the numbers behind it
  bool pass = false;
  std::string known_gap;  // non-empty: why the model does not reproduce this yet

  // What the line says: PASS, FAIL or GAP (a known gap that does not pass).
  std::string verdict() const;
  // The interval in words ("0.9 to 0.94", "<= 5", "any"), and the unit as shown (none for a ratio,
  // whose unit is "1").
  std::string interval_text() const;
  std::string shown_unit() const { return unit == "1" ? "" : unit; }
  // A failure that counts: not in the interval and not a known gap.
  bool fails() const { return !pass && known_gap.empty(); }
};

// The ids of every case, in the order they run.
std::vector<std::string> validation_case_ids();

// Runs every case (or those whose id starts with `filter`); `progress` (if set) is told each
// case's id before it runs. Cases run on up to `threads` threads; the results do not depend on it.
// `stop` (if set) stops every computation within an integrator step (unload::Interrupted).
std::vector<ValidationResult> run_validation(
    const std::string& filter = "", unsigned threads = 1,
    const std::function<void(const std::string&)>& progress = {},
    const std::atomic<bool>* stop = nullptr);

// How many results pass, fail, and are known gaps.
struct ValidationTally {
  int passed = 0, failed = 0, gaps = 0;
};
ValidationTally tally(const std::vector<ValidationResult>& results);

// docs/validation.md: every case with its source, published and simulated values and verdict.
std::string validation_markdown(const std::vector<ValidationResult>& results);

}  // namespace unload::io
