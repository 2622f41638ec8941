#pragma once
// AWS credentials as the credential chain hands them out and the SigV4 signer consumes them.
// Plain data (core layer: no Poco, no I/O). Deliberately no operator<< and no describe():
// the secret key and the session token must never reach a log line, the audit or
// --check-config output; print at most access_key_id.
#include <chrono>
#include <optional>
#include <string>

namespace nw {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys; sent (and signed) when present
  // When temporary credentials stop working; nullopt for long-term keys that do not expire.
  std::optional<std::chrono::system_clock::time_point> expiration;
};

}  // namespace nw
