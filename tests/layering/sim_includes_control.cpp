#include "unload/control/operator_console.hpp"  // sim knows consoles only as core::Controller
