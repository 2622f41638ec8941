#pragma once
// The etcd client's options for the [ha] section (docs/HA.md): the members' URLs, the request
// timeout, the TLS files, and the user with the password read from password_file. The file is
// judged as credential files are (nw/io/file_trust.h): a password another local user could
// change is not used. The password never appears in an error.
#include <optional>
#include <string>
#include <vector>

#include "nw/core/config.h"
#include "nw/io/etcd_client.h"

namespace nw {

struct EtcdSettings {
  std::optional<EtcdOptions> options;
  std::string error;  // "ha.KEY: message" when options is empty
};

EtcdSettings etcd_options_for(const HaSettings& ha);

// What --check-config finds wrong with the files [ha] names, as "ha.KEY: message", without
// contacting etcd: the password file is read as the daemon reads it, the TLS context is built
// as the etcd client builds it (the trust first, then the client certificate, so that the
// message names the key whose file is wrong), then the client itself.
std::vector<std::string> etcd_setup_problems(const HaSettings& ha);

}  // namespace nw
