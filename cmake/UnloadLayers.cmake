# Layer include roots: each layer target exposes only its own headers.
#
# For layer <layer> the build tree gets ${CMAKE_BINARY_DIR}/include/<layer>/unload/<layer>, a
# symbolic link to src/unload/<layer>; that root (not src/) is the layer target's include
# directory. A source therefore finds "unload/<layer>/x.hpp" only for the layers its target links:
# an include that goes up or sideways fails with "No such file or directory" (tests/layering/).
#
#   unload_layer_includes(<target> <layer>)
#
# e.g. unload_layer_includes(unload_control control) in src/unload/control/CMakeLists.txt.
# PUBLIC for a compiled layer, INTERFACE for a header-only one (unload_core).
function(unload_layer_includes target layer)
  set(source "${PROJECT_SOURCE_DIR}/src/unload/${layer}")
  if(NOT IS_DIRECTORY "${source}")
    message(FATAL_ERROR "unload_layer_includes(${target} ${layer}): no directory ${source}")
  endif()
  set(root "${CMAKE_BINARY_DIR}/include/${layer}")
  file(MAKE_DIRECTORY "${root}/unload")
  file(CREATE_LINK "${source}" "${root}/unload/${layer}" RESULT result SYMBOLIC)
  if(result)
    message(FATAL_ERROR "unload_layer_includes: cannot link ${root}/unload/${layer}: ${result}")
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    target_include_directories(${target} INTERFACE "${root}")
  else()
    target_include_directories(${target} PUBLIC "${root}")
  endif()
endfunction()
