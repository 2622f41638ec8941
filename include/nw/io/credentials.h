#pragma once
// The AWS default credential chain, for endpoints with `auth = iam`
// (the AWS SDKs' default credential provider chain). Providers run in the AWS SDKs' order and read
// only the standard environment variables and files, so existing deployments just work:
//
//   1. environment        AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
//   2. shared files       AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials), AWS_CONFIG_FILE
//                         (~/.aws/config), the profile from `profile =`, AWS_PROFILE or "default":
//                         its keys; or role_arn (+ external_id, role_session_name,
//                         duration_seconds) assumed with STS AssumeRole using source_profile's
//                         credentials (profiles chained, loops refused) or credential_source's
//                         (Environment, Ec2InstanceMetadata, EcsContainer); or credential_process
//   3. web identity       AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME):
//                         STS AssumeRoleWithWebIdentity (AWS_ENDPOINT_URL_STS overrides the host)
//   4. container          AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI, with
//                         AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or _TOKEN; when these are set
//                         the instance metadata service is not tried
//   5. instance metadata  EC2 IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT overrides the address,
//                         AWS_EC2_METADATA_DISABLED=true switches it off)
//
// Nothing here throws for what a credential source does: every problem is a Failure whose
// message names the source and the reason and never contains a secret key, a session token,
// a web identity token or a metadata token (nor a body that might hold one).
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Poco/Net/Context.h>

#include "nw/core/aws_credentials.h"
#include "nw/core/failure.h"

namespace spdlog {
class logger;
}

namespace nw {

class ExchangeReaper;

// Looks up one environment variable; nullopt when unset. Injected so that tests never touch
// the process environment (and never fall back to the real ~/.aws or 169.254.169.254).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// getenv.
EnvLookup process_environment();

// What a provider gets for one lookup.
struct CredentialRequest {
  const EnvLookup& env;
  std::string profile;  // explicit profile (the endpoint's `profile =`); empty: AWS_PROFILE
  std::string region;   // the endpoint's region: STS's when AWS_REGION/AWS_DEFAULT_REGION are unset
  std::chrono::system_clock::time_point now;
  // No HTTP exchange runs past this: a slow or dead source costs at most request_timeout.
  std::chrono::steady_clock::time_point deadline;
  // Holds every exchange to `deadline` and ends them at shutdown (HttpConnections).
  std::shared_ptr<ExchangeReaper> reaper;
  // The TLS context of https sources (STS, an https container URI): the chain's, made on
  // first use with the system's trust store.
  std::function<Poco::Net::Context::Ptr()> tls;
};

struct ProviderAttempt {
  enum class Outcome { not_configured, found, failed };
  Outcome outcome = Outcome::not_configured;
  AwsCredentials credentials;  // when found
  Failure failure;             // when failed
  std::string detail;          // for the summary, e.g. "profile prod" or "not set"; never a secret
  bool ends_chain = false;     // later providers are not tried (e.g. container set: no IMDS)
};

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  virtual std::string_view name() const = 0;  // "environment", "shared files", ...
  virtual ProviderAttempt fetch(const CredentialRequest& request) = 0;
};

std::unique_ptr<CredentialsProvider> make_environment_provider();
// A profile named explicitly (argument or AWS_PROFILE) other than "default" that is in neither
// file ends the chain with a failure, as in the AWS CLI: credentials of another identity would
// otherwise be used silently.
std::unique_ptr<CredentialsProvider> make_shared_files_provider();
// Re-reads the token file on every call. The STS endpoint must be https unless it is loopback.
std::unique_ptr<CredentialsProvider> make_web_identity_provider();
// FULL_URI must be https, loopback (127.0.0.0/8, ::1, localhost) or 169.254.170.2,
// 169.254.170.23, fd00:ec2::23. A token with a line break is refused (header injection).
std::unique_ptr<CredentialsProvider> make_container_provider();
// IMDSv2 only (no fallback to v1). Keeps the session token for its 6-hour life and fetches a
// new one once when a request answers 401.
std::unique_ptr<CredentialsProvider> make_instance_metadata_provider();

// The five above, in order.
std::vector<std::unique_ptr<CredentialsProvider>> default_credential_providers();

class CredentialChain;

// A role to assume with STS AssumeRole.
struct AssumeRoleSettings {
  std::string role_arn;
  std::string external_id;              // empty: not sent
  std::string session_name;             // empty: kDefaultRoleSessionName
  std::optional<int> duration_seconds;  // nullopt: STS's default (one hour)
};

// An endpoint's `role_arn`: STS AssumeRole signed with what `source` (the endpoint's chain
// without the role) hands out. Alone in a CredentialChain, whose cache then holds the role's
// credentials and refreshes them ahead of their expiration. When STS says the source's
// credentials are expired or invalid, `source` is told to look them up afresh.
std::unique_ptr<CredentialsProvider> make_assume_role_provider(
    std::shared_ptr<CredentialChain> source, AssumeRoleSettings role);

struct CredentialChainOptions {
  EnvLookup env;        // empty: process_environment()
  std::string profile;  // the endpoint's `profile =`; empty: AWS_PROFILE, then "default"
  std::string region;   // the endpoint's `region =`
  // The budget of one get() that has to ask a source: all its HTTP exchanges together.
  std::chrono::milliseconds request_timeout{10'000};
  // Temporary credentials are replaced this long before they expire.
  std::chrono::seconds refresh_ahead{300};
  // Credentials without an expiration (environment, files) are looked up again after this, so
  // that rotated keys are picked up without a restart.
  std::chrono::seconds recheck_static{300};
  // The least time between two lookups while cached credentials still work (a failed refresh,
  // or a source that hands out credentials already inside refresh_ahead).
  std::chrono::seconds min_refresh_interval{30};
  std::shared_ptr<spdlog::logger> log;     // may be null
  std::shared_ptr<ExchangeReaper> reaper;  // null: the process's
};

// Caches what the chain found and hands it out until refresh is due. Thread-safe: pollers of
// several endpoints may share one chain (a get() that refreshes makes the others wait).
class CredentialChain {
 public:
  explicit CredentialChain(CredentialChainOptions options);
  CredentialChain(CredentialChainOptions options,
                  std::vector<std::unique_ptr<CredentialsProvider>> providers);
  ~CredentialChain();

  // Cached credentials while fresh; otherwise asks the providers in order and takes the first
  // that has credentials. When a refresh fails but the cached credentials have not expired
  // yet, they are still returned (and the failure is logged). When no source has credentials:
  // "no credentials: tried environment (not set), shared files (profile default: not found),
  // ..." with the kind, HTTP status and code of the first source that failed, if any.
  Result<AwsCredentials> get(std::chrono::system_clock::time_point now);

  // Neptune rejected the cached credentials as expired or invalid (not an AccessDenied: a
  // policy that lacks an action is not fixed by new credentials): forgets them, so that the
  // next get() looks them up afresh. At most once per min_refresh_interval, so that a peer that
  // keeps rejecting them costs one lookup (under IRSA, one STS call) per interval, not one per
  // request.
  void invalidate(std::chrono::system_clock::time_point now);

 private:
  Result<AwsCredentials> resolve(std::chrono::system_clock::time_point now);
  void warn(const std::string& message, std::chrono::system_clock::time_point now);

  CredentialChainOptions options_;
  std::vector<std::unique_ptr<CredentialsProvider>> providers_;
  std::mutex mutex_;
  Poco::Net::Context::Ptr tls_;  // made on the first https lookup
  std::optional<AwsCredentials> cached_;
  std::chrono::system_clock::time_point next_refresh_{};
  std::optional<std::chrono::system_clock::time_point> last_invalidated_;
  std::string last_warning_;
  std::chrono::system_clock::time_point last_warning_at_{};
};

}  // namespace nw
