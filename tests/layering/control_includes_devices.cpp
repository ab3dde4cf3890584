#include "unload/devices/registry.hpp"  // a console sees signals only: must not compile
