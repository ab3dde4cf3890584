// The directory a run writes into, and how nothing in it or around it is lost.
//
//   Staging. A run writes into a fresh sibling of the target, NAME.unload-staging-PID-XXXXXX,
//     which holds the marker file from the start; commit() moves it into place. A run that fails
//     or is stopped removes it (the destructor), so it leaves no half-written output.
//   Marker. `.unload-output`, a JSON object {"format": "unload-output", "version": 1, "files":
//     [the files the run writes], "pid": ..., "process_start": ..., "boot_id": "..."} (the last
//     three identify the process that wrote it), says that a directory is unload's output.
//   Replacing (--force) is allowed only for a directory unload wrote: one with the marker, or, from
//     before markers, one whose summary.json unload wrote. It must hold nothing but the files a run
//     writes (a file of anyone else's stops it), and it must not be the working directory, a
//     directory containing it, or one containing an input of the run (the scenario file). A
//     symbolic link is never followed or replaced.
//   Commit. Under an exclusive lock on the parent directory (flock; two unload commits into one
//     parent take turns), the target is checked again, and the staging directory is moved into
//     place with one atomic rename that fails if the target exists (renameat2 RENAME_NOREPLACE):
//     a directory that appeared during the run (another run's output) is not replaced without
//     --force, and with it only after the same checks; replacing swaps the two directories
//     atomically (RENAME_EXCHANGE), then removes the previous output's files. If that removal
//     fails, the new output is in place and a note says where the old one is.
//   Stale staging. A run that was killed (SIGKILL, power loss) leaves its staging directory. The
//     next run writing into the same parent directory recognises it (its name, and a marker whose
//     process is gone; or, killed before its marker was complete, the pid in its name is gone and
//     it is over a minute old) and removes its files, and says so in notes().
//   In place: the audit log. A run's audit log (io/audit_log.hpp) must hold every record as soon as
//     it is committed, even if the process is killed the next moment, so it is never staged: it is
//     TARGET/audit.sqlite (a comparison: TARGET/STRATEGY/audit.sqlite), written in the target from
//     the start. audit_log() creates the target (and the strategy's subdirectory) then, each with a
//     marker, if it does not exist. commit() carries the audit logs the target holds (with SQLite's
//     -wal, -shm and -journal files, open or not) into the staging directory as hard links just
//     before the swap, so they are never copied, moved or absent, and the swap stays one atomic
//     rename; an audit log is never removed or replaced (each run appends to it), also when --force
//     replaces the output around it or a strategy is no longer in a comparison. A target that holds
//     nothing but markers and audit logs (a run that failed or was killed) is written into again
//     without --force.
// Path problems (empty, too long, a name that the staging suffix would push past the file
// system's limit) are InputErrors raised before the run starts.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace unload::io {

inline constexpr std::string_view kOutputMarker = ".unload-output";
// What a staging directory's name adds to its target's: NAME.unload-staging-PID-XXXXXX.
inline constexpr std::string_view kStagingInfix = ".unload-staging-";

// `dir` as its user will find it: each staging directory in the path named as its target (what a
// report written before the commit should show).
std::filesystem::path committed_path(const std::filesystem::path& dir);
inline constexpr int kOutputMarkerVersion = 1;
// The audit log's name in an output directory, and the files SQLite keeps beside it (see above).
inline constexpr std::string_view kAuditLogName = "audit.sqlite";
inline const std::vector<std::string> kAuditLogFiles = {"audit.sqlite", "audit.sqlite-wal",
                                                        "audit.sqlite-shm", "audit.sqlite-journal"};
// What `unload run` writes (besides the marker); report.html only with --report (listed always,
// so that --force without --report may replace an output that holds one).
inline const std::vector<std::string> kRunOutputFiles = {"waveforms.csv", "beats.csv", "alarms.csv",
                                                         "summary.json", "report.html"};

class OutputDirectory {
 public:
  // Checks the target (InputError if it cannot be written or, with `replace`, replaced; see above)
  // and creates the staging directory. `inputs`: files the run reads (the scenario), which the
  // target must not contain. `files`: the names the run writes.
  OutputDirectory(const std::filesystem::path& target, bool replace,
                  const std::vector<std::filesystem::path>& inputs = {},
                  std::vector<std::string> files = kRunOutputFiles);
  ~OutputDirectory();
  OutputDirectory(const OutputDirectory&) = delete;
  OutputDirectory& operator=(const OutputDirectory&) = delete;

  const std::filesystem::path& staging() const { return staging_; }
  const std::filesystem::path& target() const { return target_; }
  // Where the run's audit log is written in place: TARGET/audit.sqlite, or for the nested run
  // `run` (a plain name: a comparison's strategy) TARGET/run/audit.sqlite. Creates the target and
  // the subdirectory, with their markers, if they do not exist (InputError if it cannot).
  // Thread-safe.
  std::filesystem::path audit_log(const std::string& run = {});
  // Moves the staging directory into place (see above). InputError if the target may no longer be
  // replaced; the staging directory is then removed by the destructor.
  void commit();
  // What the user should know that is not an error: stale staging directories removed, a previous
  // output that could not be removed.
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  std::filesystem::path target_, staging_;
  std::vector<std::filesystem::path> inputs_;
  std::vector<std::string> files_;
  bool replace_ = false;
  std::vector<std::filesystem::path> created_parents_;  // deepest first
  std::vector<std::string> notes_;
  bool committed_ = false;
  std::mutex held_mutex_;  // audit_log() may be called from several threads
  bool held_ = false;      // audit_log() created or found the target, whose identity follows
  dev_t held_device_ = 0;
  ino_t held_inode_ = 0;
};

}  // namespace unload::io
