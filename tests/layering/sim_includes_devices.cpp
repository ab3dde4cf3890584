#include "unload/devices/registry.hpp"  // sim and devices are siblings: must not compile
