// Positive control: compiled as a core source, the core headers are found.
#include "unload/core/error.hpp"
#include "unload/core/units.hpp"
