#include "unload/physio/parameters.hpp"  // core is below physio: must not compile
