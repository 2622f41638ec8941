#include "nw/io/config_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <Poco/SHA2Engine.h>

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
  ConfigResult result = parse_config(text.str(), path);
  Poco::SHA2Engine sha256(Poco::SHA2Engine::SHA_256);
  sha256.update(text.str());
  result.config.version = Poco::DigestEngine::digestToHex(sha256.digest()).substr(0, 12);
  return result;
}

}  // namespace nw
