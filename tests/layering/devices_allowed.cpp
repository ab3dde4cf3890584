// Positive control: compiled as a devices source, its own headers and those of physio and core are
// found.
#include "unload/core/error.hpp"
#include "unload/devices/registry.hpp"
#include "unload/physio/device.hpp"
