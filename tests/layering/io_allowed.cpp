// Positive control: compiled as an io source, its own headers and those of every layer below
// (sim and devices, physio, core) are found.
#include "unload/core/error.hpp"
#include "unload/devices/registry.hpp"
#include "unload/io/scenario.hpp"
#include "unload/physio/parameters.hpp"
#include "unload/sim/session.hpp"
