#include "unload/sim/simulation.hpp"  // physio is below sim: must not compile
