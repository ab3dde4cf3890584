#include "unload/sim/session.hpp"  // physio is below sim: must not compile
