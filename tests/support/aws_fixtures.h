#pragma once
// What the credential tests share: a chain of example keys, a private temporary folder for AWS
// files and scripts, STS's error document, and the decoding of an AWS Query form.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <Poco/URI.h>

#include "nw/io/credentials.h"

namespace nw::test {

// A credential chain that finds the AWS documentation's example keys in an injected
// environment, and nothing anywhere else (no files, no instance metadata).
inline std::shared_ptr<CredentialChain> example_chain() {
  CredentialChainOptions options;
  options.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_ACCESS_KEY_ID") return "AKIDEXAMPLE";
    if (name == "AWS_SECRET_ACCESS_KEY") return "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    if (name == "AWS_EC2_METADATA_DISABLED") return "true";
    if (name == "AWS_SHARED_CREDENTIALS_FILE" || name == "AWS_CONFIG_FILE") return "/nonexistent";
    return std::nullopt;
  };
  return std::make_shared<CredentialChain>(std::move(options));
}

// Removed with everything in it when the test ends.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "nw-creds") {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Mode 0600 (0700 when `executable`) whatever the umask: a file others can write is refused,
  // and the tests that want one say so.
  std::string write(const std::string& name, const std::string& text,
                    bool executable = false) const {
    const auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    auto perms = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
    if (executable) perms |= std::filesystem::perms::owner_exec;
    std::filesystem::permissions(p, perms);
    return p.string();
  }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// STS's error document, as its Query API writes it.
inline std::string sts_error(const std::string& code, const std::string& message) {
  return R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>)" +
         code + "</Code><Message>" + message + R"(</Message></Error>
  <RequestId>4fb9ba41-8e6a-4b2c-9b4a-0c1f1b3e2d11</RequestId>
</ErrorResponse>)";
}

// "Action=AssumeRole&RoleArn=arn%3A..." as name -> value.
inline std::map<std::string, std::string> decode_form(const std::string& body) {
  std::map<std::string, std::string> fields;
  std::istringstream in(body);
  std::string pair;
  while (std::getline(in, pair, '&')) {
    const auto eq = pair.find('=');
    std::string key, value;
    Poco::URI::decode(pair.substr(0, eq), key);
    if (eq != std::string::npos) Poco::URI::decode(pair.substr(eq + 1), value);
    fields[key] = value;
  }
  return fields;
}

}  // namespace nw::test
