#include "nw/io/config_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace nw {

ConfigResult load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigResult result;
    result.config.origin = path;
    result.errors.push_back({"", std::string("cannot read the file: ") + std::strerror(errno), 0});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

}  // namespace nw
