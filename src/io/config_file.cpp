#include "nw/io/config_file.h"

#include <Poco/SHA2Engine.h>

#include "nw/io/file_trust.h"

namespace nw {

ConfigResult load_config_file(const std::string& path) {
  const TrustedFileRead file = read_trusted_file(path, kConfigFileHarm);
  if (!file.text) {
    ConfigResult result;
    result.config.origin = path;
    result.errors.push_back(
        {"", file.refused.empty() ? "cannot read the file: " + file.open_error : file.refused, 0});
    return result;
  }
  ConfigResult result = parse_config(*file.text, path);
  Poco::SHA2Engine sha256(Poco::SHA2Engine::SHA_256);
  sha256.update(*file.text);
  result.config.version = Poco::DigestEngine::digestToHex(sha256.digest()).substr(0, 12);
  return result;
}

}  // namespace nw
