#pragma once
// The tz database as the core's ZoneLookup (nw/core/time_window.h): Debian's tzdata under
// /usr/share/zoneinfo, read through Howard Hinnant's date library (libdate-tz, built by Debian
// with USE_OS_TZDB=1, so it reads the system's compiled zone files and downloads nothing).
// Reading those files is I/O, so it lives here and not in the core: load_config_file() hands
// this lookup to the parser, which resolves each named zone once, when the file is loaded.
#include "nw/core/time_window.h"

namespace nw {

// Looks a name such as "Europe/Berlin" up; an unknown name is nullptr with the library's reason.
ZoneLookup tz_database_zones();

}  // namespace nw
