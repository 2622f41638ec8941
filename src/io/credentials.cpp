// The credential chain, and the two local providers (environment, shared files). The three
// that ask a service over HTTP are in credentials_remote.cpp.
#include "nw/io/credentials.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <map>
#include <sstream>

#include <spdlog/logger.h>

#include "nw/core/rfc3339.h"
#include "nw/io/file_trust.h"
#include "nw/io/tls_context.h"

namespace nw {
namespace {

using std::chrono::system_clock;

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

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

// --- shared credentials and config files ---------------------------------------------------

using Profile = std::map<std::string, std::string>;  // lower-case key -> value
using Profiles = std::map<std::string, Profile>;

// The AWS files' INI dialect: `[section]`, `key = value`, whole-line `#`/`;` comments. Indented
// lines are sub-settings (`s3 =` blocks) and are skipped. In the config file profiles are
// `[profile NAME]` and `[default]`; other sections (sso-session, services) are not profiles.
Profiles parse_profiles(const std::string& text, bool config_file) {
  Profiles profiles;
  Profile* current = nullptr;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t[0] == '[') {
      current = nullptr;
      const auto close = t.find(']');
      if (close == std::string::npos) continue;
      std::string section = trim(std::string_view(t).substr(1, close - 1));
      if (config_file) {
        if (section.rfind("profile", 0) == 0 && section.size() > 7 &&
            std::isspace(static_cast<unsigned char>(section[7]))) {
          section = trim(std::string_view(section).substr(7));
        } else if (section != "default") {
          continue;
        }
      }
      if (!section.empty()) current = &profiles[section];
      continue;
    }
    if (!current || std::isspace(static_cast<unsigned char>(line[0]))) continue;
    const auto eq = t.find('=');
    if (eq == std::string::npos) continue;
    (*current)[lower(trim(std::string_view(t).substr(0, eq)))] =
        trim(std::string_view(t).substr(eq + 1));
  }
  return profiles;
}

std::string file_path(const EnvLookup& env, const std::string& variable,
                      const std::string& fallback) {
  std::string path = non_empty(env, variable);
  const std::string home = non_empty(env, "HOME");
  if (path.empty()) return home.empty() ? std::string() : home + "/" + fallback;
  if (path == "~" || path.rfind("~/", 0) == 0)
    return home.empty() ? std::string() : home + path.substr(1);
  return path;
}

class SharedFilesProvider final : public CredentialsProvider {
 public:
  std::string_view name() const override { return "shared files"; }

  ProviderAttempt fetch(const CredentialRequest& request) override {
    ProviderAttempt attempt;
    std::string profile = request.profile;
    if (profile.empty()) profile = non_empty(request.env, "AWS_PROFILE");
    const bool explicit_profile = !profile.empty() && profile != "default";
    if (profile.empty()) profile = "default";
    attempt.detail = "profile " + profile;

    struct Source {
      std::string path;
      bool config;
    };
    const Source sources[] = {
        {file_path(request.env, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"), false},
        {file_path(request.env, "AWS_CONFIG_FILE", ".aws/config"), true},
    };
    std::vector<std::string> searched;
    bool profile_seen = false;
    for (const Source& source : sources) {
      if (source.path.empty()) continue;
      searched.push_back(source.path);
      // Files larger than 1 MiB are not credentials files.
      const TrustedFileRead file = read_trusted_file(source.path, kCredentialFileHarm, 1u << 20);
      if (file.too_large) {
        attempt.outcome = ProviderAttempt::Outcome::failed;
        attempt.failure = {FailureKind::bad_response, 0, "",
                           source.path + " is larger than 1 MiB: not a credentials file"};
        attempt.ends_chain = true;
        return attempt;
      }
      if (!file.refused.empty()) {
        // Not another source's credentials either: whoever can write the file should be
        // noticed, not worked around.
        attempt.outcome = ProviderAttempt::Outcome::failed;
        attempt.failure = {FailureKind::service_error, 0, "UntrustedFile",
                           source.path + " " + file.refused};
        attempt.ends_chain = true;
        return attempt;
      }
      if (!file.text) continue;  // no such file
      const Profiles profiles = parse_profiles(*file.text, source.config);
      const auto found = profiles.find(profile);
      if (found == profiles.end()) continue;
      profile_seen = true;
      const Profile& p = found->second;
      const auto get = [&](const char* key) {
        const auto it = p.find(key);
        return it == p.end() ? std::string() : it->second;
      };
      const std::string key = get("aws_access_key_id");
      const std::string secret = get("aws_secret_access_key");
      if (key.empty() && secret.empty()) {
        // Sources of credentials the AWS CLI knows but this daemon does not: say so rather
        // than silently falling through to another identity's credentials.
        for (const char* unsupported : {"role_arn", "credential_process", "sso_session",
                                        "sso_start_url", "web_identity_token_file"}) {
          if (!get(unsupported).empty()) {
            attempt.outcome = ProviderAttempt::Outcome::failed;
            attempt.failure = {FailureKind::service_error, 0, "UnsupportedProfile",
                               "profile " + profile + " in " + source.path + " uses " +
                                   unsupported +
                                   ", which neptune-watchdog does not support; give the profile "
                                   "aws_access_key_id and aws_secret_access_key, or use web "
                                   "identity, container or instance credentials"};
            return attempt;
          }
        }
        continue;  // e.g. a config-file profile that only sets the region
      }
      if (key.empty() || secret.empty()) {
        attempt.outcome = ProviderAttempt::Outcome::failed;
        attempt.failure = {FailureKind::service_error, 0, "PartialCredentials",
                           "profile " + profile + " in " + source.path + " has " +
                               (key.empty() ? "aws_secret_access_key but no aws_access_key_id"
                                            : "aws_access_key_id but no aws_secret_access_key")};
        attempt.ends_chain = true;
        return attempt;
      }
      attempt.outcome = ProviderAttempt::Outcome::found;
      attempt.credentials.access_key_id = key;
      attempt.credentials.secret_access_key = secret;
      attempt.credentials.session_token = get("aws_session_token");
      attempt.detail = "profile " + profile + " in " + source.path;
      return attempt;
    }
    std::string where;
    for (const auto& path : searched) where += (where.empty() ? "" : " or ") + path;
    if (where.empty()) where = "no file (HOME is not set)";
    if (explicit_profile && !profile_seen) {
      // As the AWS CLI does: a profile asked for by name must exist.
      attempt.outcome = ProviderAttempt::Outcome::failed;
      attempt.failure = {FailureKind::service_error, 0, "ProfileNotFound",
                         "profile " + profile + " not found in " + where};
      attempt.ends_chain = true;
      return attempt;
    }
    attempt.detail += profile_seen ? ": no keys" : ": not found";
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

std::unique_ptr<CredentialsProvider> make_shared_files_provider() {
  return std::make_unique<SharedFilesProvider>();
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
