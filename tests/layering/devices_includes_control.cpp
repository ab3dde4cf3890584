#include "unload/control/operator_console.hpp"  // devices and control are siblings: must not compile
