#include "unload/sim/simulation.hpp"  // devices and sim are siblings: must not compile
