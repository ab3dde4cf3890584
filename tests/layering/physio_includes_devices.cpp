#include "unload/devices/registry.hpp"  // physio is below devices: must not compile
