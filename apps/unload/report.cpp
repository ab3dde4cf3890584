// unload report: one self-contained HTML file about a run or a comparison directory
// (io/report.hpp). `unload run --report` writes the same file into its output directory.
#include "unload/io/report.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "commands.hpp"
#include "unload/core/error.hpp"
#include "unload/io/writers.hpp"

namespace unload::cli {

int report(const ReportOptions& options) {
  namespace fs = std::filesystem;
  const fs::path out = options.out.value_or(io::default_report_path(options.run_dir));
  // The run directory's errors first (report_html names the file and what was expected).
  const std::string html = io::report_html(options.run_dir);
  // A place the report may not go is the user's to change (exit 2): a directory, a directory
  // that does not exist, one without permission to write. A write that fails later (a full
  // disk) is not (exit 1, from write_report_html).
  std::error_code ec;
  const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
  if (fs::is_directory(out, ec)) {
    throw InputError(fmt::format("{}: is a directory; name the HTML file to write", out.string()));
  }
  if (!fs::is_directory(parent, ec)) {
    throw InputError(
        fmt::format("{}: cannot be written: no directory {}", out.string(), parent.string()));
  }
  if (::access(parent.c_str(), W_OK) != 0) {
    throw InputError(fmt::format("{}: cannot be written: {}", out.string(), std::strerror(errno)));
  }
  io::write_report_html(html, out);
  fmt::print("Wrote {} ({} kB). {}\n", out.string(), (std::filesystem::file_size(out) + 512) / 1024,
             io::kSimulationNotice);
  return 0;
}

}  // namespace unload::cli
