// Positive control: compiled as a physio source, its own headers and core's are found.
#include "unload/core/units.hpp"
#include "unload/physio/circulation.hpp"
