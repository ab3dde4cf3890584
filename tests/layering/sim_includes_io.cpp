#include "unload/io/scenario.hpp"  // sim is below io: must not compile
