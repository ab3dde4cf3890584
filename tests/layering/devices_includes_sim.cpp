#include "unload/sim/session.hpp"  // devices and sim are siblings: must not compile
