#include "nw/io/etcd_settings.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <Poco/Exception.h>

#include "nw/io/file_trust.h"
#include "nw/io/tls_context.h"

namespace nw {
namespace {

// Why `path` cannot be read as a file, or empty.
std::string unreadable_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  struct stat st {};
  const bool directory = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
  ::close(fd);
  return directory ? "is a directory, not a file" : "";
}
}  // namespace

EtcdSettings etcd_options_for(const HaSettings& ha) {
  EtcdSettings out;
  EtcdOptions options;
  options.endpoints = ha.etcd;
  options.request_timeout = ha.request_timeout;
  options.ca_file = ha.ca_file;
  options.cert_file = ha.cert_file;
  options.key_file = ha.key_file;
  options.username = ha.username;
  if (!ha.password_file.empty()) {
    const std::string& path = ha.password_file;
    const TrustedFileRead file = read_trusted_file(path, kEtcdPasswordFileHarm, 4096);
    if (file.is_directory)
      out.error = path + " is a directory, not a file";
    else if (!file.refused.empty())
      out.error = path + " " + file.refused;
    else if (file.too_large)
      out.error = path + " is larger than 4096 bytes: it holds the password alone";
    else if (!file.text)
      out.error = "cannot read " + path + ": " + file.open_error;
    if (!out.error.empty()) {
      out.error = "ha.password_file: " + out.error;
      return out;
    }
    std::string password = *file.text;
    // One line, as `echo secret > file` writes it.
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r'))
      password.pop_back();
    if (password.empty()) {
      out.error = "ha.password_file: " + path + " is empty: it holds the etcd user's password";
      return out;
    }
    options.password = std::move(password);
  }
  out.options = std::move(options);
  return out;
}

std::vector<std::string> etcd_setup_problems(const HaSettings& ha) {
  std::vector<std::string> out;
  const EtcdSettings settings = etcd_options_for(ha);
  if (!settings.options) out.push_back(settings.error);
  bool files_ok = true;
  for (const auto& [key, path] :
       {std::pair<const char*, const std::string*>{"ca_file", &ha.ca_file},
        {"cert_file", &ha.cert_file},
        {"key_file", &ha.key_file}}) {
    if (path->empty()) continue;
    if (const std::string why = unreadable_file(*path); !why.empty()) {
      out.push_back(std::string("ha.") + key + ": cannot read " + *path + ": " + why);
      files_ok = false;
    }
  }
  if (!files_ok) return out;
  const bool https = std::any_of(ha.etcd.begin(), ha.etcd.end(), [](const std::string& url) {
    return url.rfind("https://", 0) == 0;
  });
  if (https) {
    // The trust first, then the client certificate with it, so that the message names the
    // key whose file is wrong.
    try {
      make_client_tls_context(ha.ca_file);
    } catch (const Poco::Exception& e) {
      out.push_back(std::string(ha.ca_file.empty() ? "ha.etcd" : "ha.ca_file") +
                    ": cannot set up TLS: " + e.displayText());
      return out;
    }
    if (!ha.cert_file.empty()) {
      try {
        make_client_tls_context(ha.ca_file, ha.cert_file, ha.key_file);
      } catch (const Poco::Exception& e) {
        out.push_back("ha.cert_file: cannot load cert_file and key_file: " + e.displayText());
        return out;
      }
    }
  }
  if (!settings.options) return out;
  // Built, never asked: --check-config contacts nothing.
  const auto client = EtcdClient::create(*settings.options, nullptr);
  if (!client.ok()) out.push_back("ha.etcd: " + client.failure().message);
  return out;
}

}  // namespace nw
