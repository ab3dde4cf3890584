// Positive control: compiled as a sim source, its own headers and those of physio and core are
// found.
#include "unload/core/units.hpp"
#include "unload/physio/circulation.hpp"
#include "unload/sim/session.hpp"
