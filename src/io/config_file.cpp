#include "nw/io/config_file.h"

#include <Poco/SHA2Engine.h>

#include "nw/io/file_trust.h"
#include "nw/io/time_zones.h"

namespace nw {

ConfigResult load_config_file(const std::string& path) {
  const TrustedFileRead file = read_trusted_file(path, kConfigFileHarm);
  if (!file.text) {
    ConfigResult result;
    result.config.origin = path;
    std::string message =
        file.refused.empty() ? "cannot read the file: " + file.open_error : file.refused;
    if (file.is_directory) {
      std::string dir = path;
      while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
      message = "is a directory, not a configuration file: give --config the file itself, e.g. " +
                dir + (dir == "/" ? "" : "/") + "neptune-watchdog.ini";
    }
    result.errors.push_back({"", message, 0});
    return result;
  }
  ConfigResult result = parse_config(*file.text, path, tz_database_zones());
  Poco::SHA2Engine sha256(Poco::SHA2Engine::SHA_256);
  sha256.update(*file.text);
  result.config.version = Poco::DigestEngine::digestToHex(sha256.digest()).substr(0, 12);
  return result;
}

}  // namespace nw
