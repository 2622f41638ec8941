#pragma once
// Reads a config file and hands its text to the pure parser.
#include <string>

#include "nw/core/config.h"

namespace nw {

// A file that cannot be read, or that others could change (see nw/io/file_trust.h), is
// reported as a ConfigError like any other.
ConfigResult load_config_file(const std::string& path);

}  // namespace nw
