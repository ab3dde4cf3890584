// unload report: one self-contained HTML file about a run or a comparison directory
// (io/report.hpp). `unload run --report` writes the same file into its output directory.
#include "unload/io/report.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "commands.hpp"
#include "unload/io/writers.hpp"

namespace unload::cli {

int report(const ReportOptions& options) {
  const std::filesystem::path out = options.out.value_or(io::default_report_path(options.run_dir));
  io::write_report(options.run_dir, out);
  fmt::print("Wrote {} ({} kB). {}\n", out.string(), (std::filesystem::file_size(out) + 512) / 1024,
             io::kSimulationNotice);
  return 0;
}

}  // namespace unload::cli
