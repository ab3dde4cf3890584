// Positive control: compiled as a control source, its own headers and core's are found.
#include "unload/control/operator_console.hpp"
#include "unload/core/signals.hpp"
