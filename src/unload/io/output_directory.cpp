#include "unload/io/output_directory.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <system_error>

#include "unload/core/error.hpp"
#include "unload/io/input_file.hpp"

namespace unload::io {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// ".unload-staging-" + a pid (at most 7 digits: Linux's pid_max is 2^22) + "-" + 6 hex digits.
constexpr std::size_t kStagingSuffixBytes = kStagingInfix.size() + 7 + 1 + 6;
constexpr std::uintmax_t kMaxMarkerBytes = 64 * 1024;

// What the output of a run written before markers existed said in its summary.json.
constexpr std::string_view kSummaryNotice =
    "Results come from a simulation, for education and research; not for clinical decisions.";

std::string first_line_of(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

// Field 22 of /proc/PID/stat: when the process started (clock ticks since boot). With the boot id
// and host name it tells a live process from a later one that reuses its pid.
std::string process_start(long pid) {
  const std::string stat = [&] {
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string text;
    std::getline(in, text);
    return text;
  }();
  const auto paren = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (paren == std::string::npos) return {};
  std::size_t at = paren + 1;  // the space before field 3
  for (int field = 3; field < 22; ++field) {
    at = stat.find(' ', at + 1);  // the space before field + 1
    if (at == std::string::npos) return {};
  }
  const auto end = stat.find(' ', at + 1);
  return stat.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
}

std::string boot_id() { return first_line_of("/proc/sys/kernel/random/boot_id"); }

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return {};
  return name;
}

std::optional<json> read_marker(const fs::path& dir) {
  try {
    json j = detail::parse_json_text(
        dir / kOutputMarker,
        detail::read_input_file(dir / kOutputMarker, "output marker", kMaxMarkerBytes));
    if (j.is_object() && j.value("format", json()) == "unload-output") return j;
  } catch (const InputError&) {
  }
  return std::nullopt;
}

// Whether `inner` is `outer` or lies inside it (both as the file system resolves them).
bool within(const fs::path& inner, const fs::path& outer) {
  std::error_code ec;
  const fs::path a = fs::weakly_canonical(inner, ec);
  if (ec) return false;
  const fs::path b = fs::weakly_canonical(outer, ec);
  if (ec) return false;
  auto i = a.begin();
  for (auto j = b.begin(); j != b.end(); ++j, ++i) {
    if (j->empty()) continue;  // a trailing separator
    if (i == a.end() || *i != *j) return false;
  }
  return true;
}

bool is_empty_directory(const fs::path& dir) {
  std::error_code ec;
  return fs::is_empty(dir, ec) && !ec;
}

// The files a nested output's marker lists (a comparison's run of one strategy), or nullopt when
// `dir` is not a directory (a real one, not a link) holding unload's marker.
std::optional<std::vector<std::string>> nested_output_files(const fs::directory_entry& entry) {
  std::error_code ec;
  if (!entry.is_directory(ec) || entry.is_symlink(ec)) return std::nullopt;
  const auto marker = read_marker(entry.path());
  if (!marker) return std::nullopt;
  std::vector<std::string> files;
  const json list = marker->value("files", json::array());
  if (!list.is_array()) return std::nullopt;
  for (const auto& f : list) {
    if (!f.is_string()) return std::nullopt;
    const std::string name = f.get<std::string>();
    // Only plain names: a marker cannot send the removal elsewhere.
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
      return std::nullopt;
    }
    files.push_back(name);
  }
  return files;
}

bool is_audit_log_file(const std::string& name) {
  return std::find(kAuditLogFiles.begin(), kAuditLogFiles.end(), name) != kAuditLogFiles.end();
}

// report.html.partial-PID: what `unload report` was writing when it was killed (io/report.cpp
// writes under that name and renames), once its process is gone. A run replacing the directory
// removes it with the rest.
bool is_abandoned_report(const std::string& name) {
  constexpr std::string_view prefix = "report.html.partial-";
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return false;
  const std::string digits = name.substr(prefix.size());
  if (digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const long pid = std::strtol(digits.c_str(), nullptr, 10);
  return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

// Whether `dir` holds nothing but markers and audit logs (at depth 0 also in subdirectories with a
// marker): what a run that failed or was killed leaves, which the next run writes into again.
bool holds_only_audit_logs(const fs::path& dir, int depth = 0) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_symlink(ec)) return false;
    if (it->is_directory(ec)) {
      if (depth > 0 || !read_marker(it->path()) || !holds_only_audit_logs(it->path(), depth + 1)) {
        return false;
      }
      continue;
    }
    const bool ours =
        name == kOutputMarker || name == ".unload-output.partial" || is_audit_log_file(name);
    if (!ours || !it->is_regular_file(ec)) return false;
  }
  return !ec;
}

// Why `dir` may not be replaced by a run writing `files`, or "". A subdirectory that is itself
// unload's output (its own marker; a comparison writes one per strategy) is checked the same way.
std::string replace_problem(const fs::path& dir, const std::vector<std::string>& files,
                            int depth = 0) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (depth == 0) {
      if (const auto nested = nested_output_files(*it)) {
        if (auto problem = replace_problem(it->path(), *nested, depth + 1); !problem.empty()) {
          return fmt::format("its run '{}': {}", detail::shown(name), problem);
        }
        continue;
      }
    }
    const bool ours = name == kOutputMarker || is_audit_log_file(name) ||
                      is_abandoned_report(name) ||
                      std::find(files.begin(), files.end(), name) != files.end();
    if (!ours) {
      return fmt::format("it holds '{}', which unload did not write", detail::shown(name));
    }
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) {
      return fmt::format("its '{}' is not a file unload wrote", name);
    }
  }
  if (ec) return fmt::format("it cannot be read ({})", ec.message());
  if (!read_marker(dir)) {
    // Written before markers existed: a summary.json of unload's own.
    bool summary = false;
    try {
      const json j = detail::parse_json_text(
          dir / "summary.json",
          detail::read_input_file(dir / "summary.json", "summary", detail::kMaxTextInputBytes));
      summary = j.is_object() && j.value("notice", json()) == kSummaryNotice;
    } catch (const InputError&) {
    }
    if (!summary) {
      return fmt::format(
          "it holds no {} marker and no summary.json written by unload, so it is "
          "not the output of a previous run",
          kOutputMarker);
    }
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0 ||
      ::access(dir.parent_path().c_str(), W_OK | X_OK) != 0) {
    return fmt::format("its files cannot be removed ({})", std::strerror(errno));
  }
  return {};
}

// Removes a run's output: its nested outputs (one level), its files and marker, then the
// directory. "" or what went wrong.
std::string remove_output(const fs::path& dir, const std::vector<std::string>& files,
                          int depth = 0) {
  std::error_code ec;
  if (depth == 0) {
    std::vector<std::pair<fs::path, std::vector<std::string>>> nested;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (auto f = nested_output_files(*it)) nested.emplace_back(it->path(), std::move(*f));
    }
    for (const auto& [sub, sub_files] : nested) {
      if (auto problem = remove_output(sub, sub_files, depth + 1); !problem.empty()) {
        return problem;
      }
    }
  }
  std::vector<std::string> names = files;
  // Only ever names: an audit log's file is removed from a directory after commit() linked it into
  // the new output (the previous output), or from a staging directory (where it is such a link).
  names.insert(names.end(), kAuditLogFiles.begin(), kAuditLogFiles.end());
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (is_abandoned_report(it->path().filename().string())) {
      names.push_back(it->path().filename().string());
    }
  }
  ec.clear();
  names.emplace_back(kOutputMarker);
  names.emplace_back(".unload-output.partial");  // a marker being written when its run was killed
  for (const auto& name : names) {
    const fs::path f = dir / name;
    if (::unlink(f.c_str()) != 0 && errno != ENOENT) {
      return fmt::format("cannot remove {}: {}", f.string(), std::strerror(errno));
    }
  }
  if (::rmdir(dir.c_str()) != 0) {
    return fmt::format(
        "cannot remove {}: {}", dir.string(),
        errno == ENOTEMPTY ? "it holds files unload did not write" : std::strerror(errno));
  }
  return {};
}

// renameat2 with flags; falls back (under the caller's lock) where the file system lacks them.
int rename_no_replace(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  struct stat st {};
  if (::lstat(to.c_str(), &st) == 0) {
    errno = EEXIST;
    return -1;
  }
  return ::rename(from.c_str(), to.c_str());
}

// Whether a staging directory's marker names a process that is still running.
bool writer_alive(const json& marker) {
  const long pid = marker.value("pid", json(0)).is_number_integer()
                       ? marker.value("pid", json(0)).get<long>()
                       : 0;
  if (pid <= 0) return false;
  if (marker.value("boot_id", json("")) != boot_id()) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
  const json start = marker.value("process_start", json(""));
  return !start.is_string() || start.get<std::string>() == process_start(pid);
}

// A staging directory without a (complete) marker: its writer was killed between creating it and
// writing the marker. Abandoned if the pid its name holds is gone and it is over a minute old (so
// that one being created this instant, perhaps by another host on a shared file system, is safe).
bool unmarked_and_abandoned(const fs::path& dir, const std::string& name) {
  const auto at = name.rfind(kStagingInfix);
  const long pid = std::strtol(name.c_str() + at + kStagingInfix.size(), nullptr, 10);
  if (pid <= 0 || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) return false;
  std::error_code ec;
  const auto age = fs::file_time_type::clock::now() - fs::last_write_time(dir, ec);
  return !ec && age > std::chrono::minutes(1);
}

// The exclusive lock on a directory (flock), held while alive.
class DirectoryLock {
 public:
  explicit DirectoryLock(const fs::path& dir)
      : fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (fd_ >= 0) {
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  ~DirectoryLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_;
};

[[noreturn]] void refuse(const fs::path& target, std::string_view problem) {
  throw InputError(
      fmt::format("output directory '{}': {}", detail::shown(target.string(), 200), problem));
}

// Checks the path itself: not empty, not too long, and room for the staging suffix.
fs::path checked_target(const fs::path& given) {
  if (given.empty()) refuse(given, "expected a directory name, got an empty path");
  fs::path target = fs::absolute(given).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();  // "out/run/" names "out/run"
  if (target.string().size() >= PATH_MAX) {
    refuse(given, fmt::format("the path is {} bytes; the system allows fewer than {}",
                              target.string().size(), PATH_MAX));
  }
  for (const auto& part : target) {
    if (part.string().size() > NAME_MAX) {
      refuse(given, fmt::format("'{}...' is {} bytes long; a name may have at most {}",
                                part.string().substr(0, 20), part.string().size(), NAME_MAX));
    }
  }
  const std::string name = target.filename().string();
  if (name.empty() || name == "." || name == "..") refuse(given, "expected a directory name");
  if (name.size() + kStagingSuffixBytes > NAME_MAX) {
    refuse(given, fmt::format("its name is {} bytes; unload writes first into a sibling whose "
                              "name adds {} bytes, so the name may have at most {}",
                              name.size(), kStagingSuffixBytes, NAME_MAX - kStagingSuffixBytes));
  }
  return target;
}

// Writes `dir`'s marker (see the header) for a run writing `files`: under another name, then
// renamed, so that a marker is either complete or absent. False if it could not be written.
bool write_marker(const fs::path& dir, const std::vector<std::string>& files) {
  const json marker = {{"format", "unload-output"},
                       {"version", kOutputMarkerVersion},
                       {"files", files},
                       {"pid", static_cast<long>(::getpid())},
                       {"process_start", process_start(::getpid())},
                       {"boot_id", boot_id()},
                       {"host", host_name()}};
  const fs::path partial = dir / ".unload-output.partial";
  std::ofstream out(partial, std::ios::binary);
  out << marker.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
  out.close();
  std::error_code renamed;
  if (out) fs::rename(partial, dir / kOutputMarker, renamed);
  return out && !renamed;
}

// Creates the directory `dir` with its marker, or finds it (a real directory, not a link);
// InputError (about `target`) if neither.
// Returns whether it made it.
bool hold_directory(const fs::path& target, const fs::path& dir,
                    const std::vector<std::string>& files) {
  if (::mkdir(dir.c_str(), 0777) == 0) {
    if (!write_marker(dir, files)) {
      const std::string why = std::strerror(errno);
      ::rmdir(dir.c_str());
      refuse(target, fmt::format("cannot write into {}: {}", dir.string(), why));
    }
    return true;
  }
  if (errno != EEXIST) {
    refuse(target, fmt::format("cannot create {} for the audit log: {}", dir.string(),
                               std::strerror(errno)));
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    refuse(target, fmt::format("{} is not a directory (it holds the audit log)", dir.string()));
  }
  // A run killed between making the directory and renaming its marker into place left it
  // without one: mark it before the audit log goes in (the kill test found such a directory,
  // holding an audit log and no marker, once in about 500 kills).
  if (holds_only_audit_logs(dir) && !read_marker(dir) && !write_marker(dir, files)) {
    refuse(target, fmt::format("cannot write into {}: {}", dir.string(), std::strerror(errno)));
  }
  return false;
}

// Links the audit logs `from` holds (see the header; at depth 0 also those of its subdirectories
// with a marker) into `to`, replacing links left there by an earlier attempt. A subdirectory that
// `to` lacks (a strategy the new comparison does not run) is made with a marker, so that its audit
// log stays. "" or what went wrong.
std::string link_audit_logs(const fs::path& from, const fs::path& to, int depth = 0) {
  std::error_code ec;
  for (const auto& name : kAuditLogFiles) {
    struct stat st {};
    const fs::path source = from / name, link = to / name;
    if (::lstat(source.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::unlink(link.c_str()) != 0 && errno != ENOENT) {
      return fmt::format("cannot replace {}: {}", link.string(), std::strerror(errno));
    }
    if (::link(source.c_str(), link.c_str()) != 0) {
      return fmt::format("cannot link {} to {}: {}", source.string(), link.string(),
                         std::strerror(errno));
    }
  }
  if (depth > 0) return {};
  for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_directory(ec)) continue;
    const auto nested = nested_output_files(*it);
    if (!nested) continue;
    bool any = false;
    for (const auto& name : kAuditLogFiles) any = any || fs::exists(it->path() / name, ec);
    if (!any) continue;
    const fs::path sub = to / it->path().filename();
    if (::mkdir(sub.c_str(), 0777) == 0) {
      if (!write_marker(sub, *nested)) return fmt::format("cannot write into {}", sub.string());
    } else if (errno != EEXIST) {
      return fmt::format("cannot create {}: {}", sub.string(), std::strerror(errno));
    }
    if (auto problem = link_audit_logs(it->path(), sub, depth + 1); !problem.empty()) {
      return problem;
    }
  }
  if (ec) return fmt::format("cannot read {}: {}", from.string(), ec.message());
  return {};
}

}  // namespace

OutputDirectory::OutputDirectory(const fs::path& target, bool replace,
                                 const std::vector<fs::path>& inputs,
                                 std::vector<std::string> files)
    : target_(checked_target(target)), files_(std::move(files)), replace_(replace) {
  for (const auto& input : inputs) inputs_.push_back(fs::absolute(input));
  std::error_code ec;
  if (within(fs::current_path(ec), target_)) {
    refuse(target_, "it is the working directory or contains it; name a directory for the output");
  }
  struct stat st {};
  if (::lstat(target_.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) {
      refuse(target_, "it is a symbolic link; name the directory itself");
    }
    if (!S_ISDIR(st.st_mode)) refuse(target_, "it exists and is not a directory");
    if (!is_empty_directory(target_) && !holds_only_audit_logs(target_)) {
      if (!replace_) {
        refuse(target_,
               "it exists and is not empty (pass --force to replace the output of a "
               "previous run)");
      }
      for (const auto& input : inputs_) {
        if (within(input, target_)) {
          refuse(target_, fmt::format("it holds {}, an input of this run; refusing to replace it",
                                      input.filename().string()));
        }
      }
      if (auto problem = replace_problem(target_, files_); !problem.empty()) {
        refuse(target_, fmt::format("refusing to replace it (--force): {}", problem));
      }
    }
  } else if (errno != ENOENT) {
    refuse(target_, std::strerror(errno));
  }

  for (fs::path p = target_.parent_path(); !fs::exists(p, ec) && p != p.parent_path();
       p = p.parent_path()) {
    created_parents_.push_back(p);
  }
  fs::create_directories(target_.parent_path(), ec);
  if (ec) {
    refuse(target_,
           fmt::format("cannot create {}: {}", target_.parent_path().string(), ec.message()));
  }

  // Staging directories left by runs that were killed.
  const std::string host = host_name();
  for (fs::directory_iterator it(target_.parent_path(), ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find(kStagingInfix) == std::string::npos || it->is_symlink(ec) ||
        !it->is_directory(ec)) {
      continue;
    }
    const auto marker = read_marker(it->path());
    if (marker ? marker->value("host", json("")) != host || writer_alive(*marker)
               : !unmarked_and_abandoned(it->path(), name)) {
      continue;
    }
    const auto problem = remove_output(it->path(), files_);
    notes_.push_back(problem.empty()
                         ? fmt::format("removed {}, left by a run that was stopped before it "
                                       "finished",
                                       it->path().string())
                         : fmt::format("{} was left by a run that was stopped before it finished, "
                                       "and could not be removed: {}",
                                       it->path().string(), problem));
  }

  std::random_device random;
  for (int attempt = 0; attempt < 100 && staging_.empty(); ++attempt) {
    const fs::path candidate = fmt::format("{}{}{}-{:06x}", target_.string(), kStagingInfix,
                                           ::getpid(), random() & 0xffffff);
    if (::mkdir(candidate.c_str(), 0777) == 0)
      staging_ = candidate;
    else if (errno != EEXIST) {
      refuse(target_,
             fmt::format("cannot create a directory next to it: {}", std::strerror(errno)));
    }
  }
  if (staging_.empty()) refuse(target_, "cannot create a directory next to it");
  if (!write_marker(staging_, files_)) {
    const std::string why = std::strerror(errno);
    fs::remove_all(staging_, ec);
    refuse(target_, fmt::format("cannot write into a directory next to it: {}", why));
  }
}

fs::path OutputDirectory::audit_log(const std::string& run) {
  if (!run.empty() && (run == "." || run == ".." || run.find('/') != std::string::npos)) {
    throw std::invalid_argument("OutputDirectory::audit_log: a run is a plain name");
  }
  const std::lock_guard<std::mutex> lock(held_mutex_);
  if (!hold_directory(target_, target_, files_) && !held_ && !holds_only_audit_logs(target_)) {
    // It was checked when the run began; what is there now is checked again before the audit log
    // goes into it.
    if (!replace_) {
      refuse(target_,
             "it appeared while this run started (another run into the same directory?) and holds "
             "files; it is not replaced without --force");
    }
    if (auto problem = replace_problem(target_, files_); !problem.empty()) {
      refuse(target_, fmt::format("refusing to replace it (--force): {}", problem));
    }
  }
  if (!held_) {
    struct stat st {};
    if (::lstat(target_.c_str(), &st) != 0) refuse(target_, std::strerror(errno));
    held_ = true;
    held_device_ = st.st_dev;
    held_inode_ = st.st_ino;
  }
  if (run.empty()) return target_ / kAuditLogName;
  hold_directory(target_, target_ / run, kRunOutputFiles);
  return target_ / run / kAuditLogName;
}

OutputDirectory::~OutputDirectory() {
  if (committed_ || staging_.empty()) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
  for (const auto& p : created_parents_) fs::remove(p, ec);  // only if still empty
}

void OutputDirectory::commit() {
  const DirectoryLock lock(target_.parent_path());
  for (int attempt = 0; attempt < 8; ++attempt) {
    struct stat st {};
    if (::lstat(target_.c_str(), &st) != 0) {
      if (errno != ENOENT) refuse(target_, std::strerror(errno));
      if (rename_no_replace(staging_, target_) == 0) {
        committed_ = true;
        return;
      }
      if (errno == EEXIST || errno == ENOTEMPTY) continue;  // it appeared just now: look again
      throw std::runtime_error(fmt::format("cannot move {} to {}: {}", staging_.string(),
                                           target_.string(), std::strerror(errno)));
    }
    if (S_ISLNK(st.st_mode)) refuse(target_, "it became a symbolic link during the run");
    if (!S_ISDIR(st.st_mode)) refuse(target_, "it appeared during the run and is not a directory");
    if (is_empty_directory(target_)) {
      ::rmdir(target_.c_str());  // if it fills meanwhile, the next look sees it
      continue;
    }
    // The directory audit_log() made or found for this run, still holding nothing but audit logs
    // (and markers), is this run's to fill; anything else needs --force.
    const bool held = held_ && st.st_dev == held_device_ && st.st_ino == held_inode_;
    if (!replace_ && !(held && holds_only_audit_logs(target_))) {
      refuse(target_, held ? "files unload did not write appeared in it while this run ran; it is "
                             "not replaced without --force, and this run's output was not kept"
                           : "it was created while this run ran (by another run into the same "
                             "directory?) and is not replaced without --force; this run's output "
                             "was not kept");
    }
    for (const auto& input : inputs_) {
      if (within(input, target_)) {
        refuse(target_, fmt::format("it now holds {}, an input of this run; refusing to replace "
                                    "it",
                                    input.filename().string()));
      }
    }
    if (auto problem = replace_problem(target_, files_); !problem.empty()) {
      refuse(target_, fmt::format("refusing to replace it (--force): {}", problem));
    }
    if (auto problem = link_audit_logs(target_, staging_); !problem.empty()) {
      committed_ = true;  // keeps the staging directory: the run's output is not lost
      throw std::runtime_error(fmt::format(
          "cannot carry the audit log of {} into the new output ({}); the new output is kept in {}",
          target_.string(), problem, staging_.string()));
    }
    if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) != 0) {
      if (errno != EINVAL && errno != ENOSYS) {
        throw std::runtime_error(fmt::format("cannot move {} to {}: {}", staging_.string(),
                                             target_.string(), std::strerror(errno)));
      }
      // No atomic swap on this file system: move the old output aside, then the new one in.
      const fs::path aside = staging_.string() + "-previous";
      if (rename_no_replace(target_, aside) != 0 || rename_no_replace(staging_, target_) != 0) {
        const std::string why = std::strerror(errno);
        std::error_code ec;
        if (!fs::exists(target_, ec)) fs::rename(aside, target_, ec);
        throw std::runtime_error(
            fmt::format("cannot move {} to {}: {}", staging_.string(), target_.string(), why));
      }
      ::rename(aside.c_str(), staging_.c_str());
    }
    // The new output is in place; the previous one is now at staging_.
    committed_ = true;
    if (auto problem = remove_output(staging_, files_); !problem.empty()) {
      notes_.push_back(fmt::format("the previous output of {} is kept in {}: {}", target_.string(),
                                   staging_.string(), problem));
    }
    return;
  }
  refuse(target_, "it keeps changing during the commit (another process is writing there)");
}

std::filesystem::path committed_path(const std::filesystem::path& dir) {
  std::filesystem::path out;
  for (const auto& part : dir) {
    std::string name = part.string();
    if (const auto at = name.find(kStagingInfix); at != std::string::npos && at > 0) {
      name.erase(at);
    }
    out /= name;
  }
  return out;
}

}  // namespace unload::io
