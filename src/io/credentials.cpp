// The credential chain, and the environment provider. The shared files are read in
// credentials_shared_files.cpp; the three providers that ask a service over HTTP are in
// credentials_remote.cpp.
#include "nw/io/credentials.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>

#include <spdlog/logger.h>

#include "nw/core/rfc3339.h"
#include "nw/io/tls_context.h"

namespace nw {
namespace {

using std::chrono::system_clock;

std::string non_empty(const EnvLookup& env, const std::string& name) {
  auto value = env(name);
  return value ? *value : std::string();
}

// --- environment -------------------------------------------------------------------------

class EnvironmentProvider final : public CredentialsProvider {
 public:
  std::string_view name() const override { return "environment"; }

  ProviderAttempt fetch(const CredentialRequest& request) override {
    ProviderAttempt attempt;
    const std::string key = non_empty(request.env, "AWS_ACCESS_KEY_ID");
    const std::string secret = non_empty(request.env, "AWS_SECRET_ACCESS_KEY");
    if (key.empty() && secret.empty()) {
      attempt.detail = "not set";
      return attempt;
    }
    if (key.empty() || secret.empty()) {
      // The SDKs skip half a pair; say so, since it is almost certainly a mistake.
      attempt.outcome = ProviderAttempt::Outcome::failed;
      attempt.failure = {FailureKind::service_error, 0, "PartialCredentials",
                         key.empty() ? "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"
                                     : "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"};
      return attempt;
    }
    attempt.outcome = ProviderAttempt::Outcome::found;
    attempt.credentials.access_key_id = key;
    attempt.credentials.secret_access_key = secret;
    attempt.credentials.session_token = non_empty(request.env, "AWS_SESSION_TOKEN");
    attempt.detail = "AWS_ACCESS_KEY_ID";
    return attempt;
  }
};

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

std::unique_ptr<CredentialsProvider> make_environment_provider() {
  return std::make_unique<EnvironmentProvider>();
}

std::vector<std::unique_ptr<CredentialsProvider>> default_credential_providers() {
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  providers.push_back(make_environment_provider());
  providers.push_back(make_shared_files_provider());
  providers.push_back(make_web_identity_provider());
  providers.push_back(make_container_provider());
  providers.push_back(make_instance_metadata_provider());
  return providers;
}

// --- the chain -----------------------------------------------------------------------------

CredentialChain::CredentialChain(CredentialChainOptions options)
    : CredentialChain(std::move(options), default_credential_providers()) {}

CredentialChain::CredentialChain(CredentialChainOptions options,
                                 std::vector<std::unique_ptr<CredentialsProvider>> providers)
    : options_(std::move(options)), providers_(std::move(providers)) {
  if (!options_.env) options_.env = process_environment();
}

CredentialChain::~CredentialChain() = default;

void CredentialChain::invalidate(system_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (last_invalidated_ && now < *last_invalidated_ + options_.min_refresh_interval) return;
  last_invalidated_ = now;
  cached_.reset();
}

Result<AwsCredentials> CredentialChain::get(system_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (cached_ && now < next_refresh_) return *cached_;

  auto found = resolve(now);
  if (found.ok()) {
    cached_ = found.value();
    if (const auto& expiration = cached_->expiration) {
      // Refresh ahead of expiry, but not at every call when the source hands out credentials
      // that are already inside the refresh window.
      next_refresh_ =
          std::max(*expiration - options_.refresh_ahead, now + options_.min_refresh_interval);
      next_refresh_ = std::min(next_refresh_, *expiration);
    } else {
      next_refresh_ = now + options_.recheck_static;
    }
    return found;
  }
  if (cached_ && cached_->expiration && now < *cached_->expiration) {
    warn("refreshing AWS credentials failed; the current ones stay in use until they expire at " +
             format_rfc3339(*cached_->expiration) + ": " + found.failure().describe(),
         now);
    next_refresh_ = std::min(now + options_.min_refresh_interval, *cached_->expiration);
    return *cached_;
  }
  cached_.reset();
  warn(found.failure().describe(), now);
  return found;
}

Result<AwsCredentials> CredentialChain::resolve(system_clock::time_point now) {
  const CredentialRequest request{options_.env,
                                  options_.profile,
                                  options_.region,
                                  now,
                                  std::chrono::steady_clock::now() + options_.request_timeout,
                                  options_.reaper,
                                  [this] {
                                    // Under mutex_: get() holds it for the whole lookup.
                                    if (!tls_) tls_ = make_client_tls_context();
                                    return tls_;
                                  }};
  std::string tried;
  std::optional<Failure> first_failure;
  for (const auto& provider : providers_) {
    ProviderAttempt attempt = provider->fetch(request);
    const std::string source(provider->name());
    if (attempt.outcome == ProviderAttempt::Outcome::found) {
      const AwsCredentials& c = attempt.credentials;
      if (c.expiration && *c.expiration <= now) {
        attempt.outcome = ProviderAttempt::Outcome::failed;
        attempt.failure = {FailureKind::bad_response, 0, "",
                           "credentials expired at " + format_rfc3339(*c.expiration)};
      } else {
        if (options_.log) {
          options_.log->info("AWS credentials from {} ({}){}", source, attempt.detail,
                             c.expiration ? ", expiring " + format_rfc3339(*c.expiration) : "");
        }
        if (first_failure) {
          warn("AWS credentials: sources before " + source + " failed: " + tried, now);
        }
        return c;
      }
    }
    if (!tried.empty()) tried += ", ";
    if (attempt.outcome == ProviderAttempt::Outcome::failed) {
      tried += source + " (" + attempt.failure.describe() + ")";
      if (!first_failure) first_failure = attempt.failure;
    } else {
      tried += source + (attempt.detail.empty() ? "" : " (" + attempt.detail + ")");
    }
    if (attempt.ends_chain) break;
  }
  Failure failure{FailureKind::service_error, 0, "", "no credentials: tried " + tried};
  if (first_failure) {
    failure.kind = first_failure->kind;
    failure.http_status = first_failure->http_status;
    failure.code = first_failure->code;
  }
  return failure;
}

void CredentialChain::warn(const std::string& message, system_clock::time_point now) {
  // The same problem at every poll is logged once a minute.
  if (message == last_warning_ && now - last_warning_at_ < std::chrono::minutes(1)) return;
  last_warning_ = message;
  last_warning_at_ = now;
  if (options_.log) options_.log->warn("{}", message);
}

}  // namespace nw
