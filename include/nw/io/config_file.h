#pragma once
// Reads a config file and hands its text to the pure parser.
#include <string>

#include "nw/core/config.h"

namespace nw {

// A file that cannot be read is reported as a ConfigError like any other.
ConfigResult load_config_file(const std::string& path);

}  // namespace nw
