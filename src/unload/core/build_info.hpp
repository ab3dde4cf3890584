// What this build of unload is: the project's version, the git commit of the source tree and the
// date of the build. The definitions are generated at build time (cmake/WriteBuildInfo.cmake) into
// the library unload_build_info; link it to use these.
#pragma once

#include <string_view>

namespace unload {

// The project's version (CMake's PROJECT_VERSION), e.g. "0.1.0".
std::string_view unload_version();

// The abbreviated commit of the source tree when it was built, e.g. "d1cfde6", followed by
// "-dirty" when tracked files had uncommitted changes; "unknown" when built outside a git checkout.
std::string_view git_commit();

// The date of the build in UTC, e.g. "2026-11-29" (from SOURCE_DATE_EPOCH when that is set).
std::string_view build_date();

}  // namespace unload
