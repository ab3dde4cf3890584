# Writes the definitions of src/unload/core/build_info.hpp: the version, the git commit of the
# source tree (with -dirty when tracked files have uncommitted changes; "unknown" outside git) and
# the UTC date of the build (SOURCE_DATE_EPOCH when set). Run at every build by the target
# unload_build_info_source (src/unload/core/CMakeLists.txt):
#   cmake -DSOURCE_DIR=<repo> -DOUTPUT=<file.cpp> -DVERSION=<x.y.z> [-DGIT_EXECUTABLE=<git>]
#         -P cmake/WriteBuildInfo.cmake
# OUTPUT is rewritten only when its content changes, so that an unchanged commit neither recompiles
# nor relinks anything.
foreach(var SOURCE_DIR OUTPUT VERSION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "WriteBuildInfo.cmake: -D${var}=... is required")
  endif()
endforeach()

set(commit "unknown")
if(GIT_EXECUTABLE)
  # Reading the state must not take the index lock that `git status` may take to refresh it: the
  # user may be running git in the same tree while this builds.
  set(ENV{GIT_OPTIONAL_LOCKS} 0)
  execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --show-toplevel
    WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE result OUTPUT_VARIABLE top
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(result EQUAL 0)
    # Only the project's own checkout names the commit, not an enclosing repository that happens
    # to hold an unpacked source archive.
    file(REAL_PATH "${top}" top)
    file(REAL_PATH "${SOURCE_DIR}" source)
    if(top STREQUAL source)
      execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short=7 HEAD
        WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE result OUTPUT_VARIABLE hash
        OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      execute_process(COMMAND "${GIT_EXECUTABLE}" status --porcelain --untracked-files=no
        WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE status_result OUTPUT_VARIABLE changes
        OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(result EQUAL 0 AND hash MATCHES "^[0-9a-f]+$")
        set(commit "${hash}")
        if(NOT status_result EQUAL 0 OR NOT changes STREQUAL "")
          string(APPEND commit "-dirty")
        endif()
      endif()
    endif()
  endif()
endif()

string(TIMESTAMP date "%Y-%m-%d" UTC)

set(content "// Generated at build time by cmake/WriteBuildInfo.cmake; do not edit.
#include \"unload/core/build_info.hpp\"

namespace unload {

std::string_view unload_version() { return \"${VERSION}\"; }
std::string_view git_commit() { return \"${commit}\"; }
std::string_view build_date() { return \"${date}\"; }

}  // namespace unload
")

set(old "")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUTPUT}" "${content}")
endif()
