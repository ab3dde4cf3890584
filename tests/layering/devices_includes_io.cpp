#include "unload/io/scenario.hpp"  // devices are below io: must not compile
