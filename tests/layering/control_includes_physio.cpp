#include "unload/physio/circulation.hpp"  // a console sees signals only: must not compile
