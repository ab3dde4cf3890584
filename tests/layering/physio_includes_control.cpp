#include "unload/control/operator_console.hpp"  // physio is below control's users: must not compile
