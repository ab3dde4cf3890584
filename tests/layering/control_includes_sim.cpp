#include "unload/sim/session.hpp"  // a console sees signals only: must not compile
