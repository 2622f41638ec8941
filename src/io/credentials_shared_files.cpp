// The shared credentials and config files (~/.aws/credentials, ~/.aws/config), as the AWS CLI
// and SDKs read them: a profile's keys, its credential_process, or a role it assumes with
// another profile's credentials (source_profile, chains of them) or with the environment's,
// the instance's or the container's (credential_source).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <sstream>

#include "nw/core/aws_role.h"
#include "nw/io/credential_process.h"
#include "nw/io/credentials.h"
#include "nw/io/file_trust.h"
#include "nw/io/sts.h"

namespace nw {
namespace {

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

struct Setting {
  std::string value;
  std::string path;  // the file it is in
  int line = 0;

  std::string where() const { return path + " line " + std::to_string(line); }
};
using Profile = std::map<std::string, Setting>;  // lower-case key -> value
using Profiles = std::map<std::string, Profile>;

// The AWS files' INI dialect: `[section]`, `key = value`, whole-line `#`/`;` comments. Indented
// lines are sub-settings (`s3 =` blocks) and are skipped. In the config file profiles are
// `[profile NAME]` and `[default]`; other sections (sso-session, services) are not profiles.
// A profile in both files gets each key from the credentials file if it is there.
void parse_profiles(const std::string& text, const std::string& path, bool config_file,
                    Profiles& profiles) {
  Profile* current = nullptr;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
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
    // The credentials file is read first, and wins.
    current->emplace(lower(trim(std::string_view(t).substr(0, eq))),
                     Setting{trim(std::string_view(t).substr(eq + 1)), path, number});
  }
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

ProviderAttempt failed(Failure failure, bool ends_chain = true) {
  ProviderAttempt attempt;
  attempt.outcome = ProviderAttempt::Outcome::failed;
  attempt.failure = std::move(failure);
  attempt.ends_chain = ends_chain;
  return attempt;
}

Failure config_error(const std::string& code, const std::string& message) {
  return Failure{FailureKind::service_error, 0, code, message};
}

// A role chain longer than this is a mistake (the AWS CLI has no limit, but loops of
// source_profile are caught separately).
constexpr std::size_t kMaxRoleChain = 8;

class SharedFilesProvider final : public CredentialsProvider {
 public:
  SharedFilesProvider()
      : environment_(make_environment_provider()),
        container_(make_container_provider()),
        instance_metadata_(make_instance_metadata_provider()) {}

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
    Profiles profiles;
    for (const Source& source : sources) {
      if (source.path.empty()) continue;
      searched.push_back(source.path);
      // Files larger than 1 MiB are not credentials files.
      const TrustedFileRead file = read_trusted_file(source.path, kCredentialFileHarm, 1u << 20);
      if (file.too_large) {
        return failed({FailureKind::bad_response, 0, "",
                       source.path + " is larger than 1 MiB: not a credentials file"});
      }
      if (!file.refused.empty()) {
        // Not another source's credentials either: whoever can write the file should be
        // noticed, not worked around. (It could also name the program credential_process runs.)
        return failed(
            {FailureKind::service_error, 0, "UntrustedFile", source.path + " " + file.refused});
      }
      if (!file.text) continue;  // no such file
      parse_profiles(*file.text, source.path, source.config, profiles);
    }
    std::string where;
    for (const auto& path : searched) where += (where.empty() ? "" : " or ") + path;
    if (where.empty()) where = "no file (HOME is not set)";

    const auto found = profiles.find(profile);
    if (found == profiles.end()) {
      if (explicit_profile) {
        // As the AWS CLI does: a profile asked for by name must exist.
        return failed(
            config_error("ProfileNotFound", "profile " + profile + " not found in " + where));
      }
      attempt.detail += ": not found";
      return attempt;
    }
    std::vector<std::string> chain;
    return resolve(request, profiles, profile, where, chain, /*as_source=*/false);
  }

 private:
  // The credentials of `name`. `chain` holds the profiles whose role is being assumed with
  // them (for loops and messages); `as_source`: another profile needs them, so "no keys" is
  // a failure rather than "try the next source".
  ProviderAttempt resolve(const CredentialRequest& request, const Profiles& profiles,
                          const std::string& name, const std::string& where,
                          std::vector<std::string>& chain, bool as_source) {
    const auto it = profiles.find(name);
    if (it == profiles.end()) {
      return failed(config_error("ProfileNotFound", "source_profile " + name + " of profile " +
                                                        chain.back() + " not found in " + where));
    }
    const Profile& p = it->second;
    const auto get = [&](const char* key) -> const Setting* {
      const auto s = p.find(key);
      return s == p.end() || s->second.value.empty() ? nullptr : &s->second;
    };

    const Setting* role_arn = get("role_arn");
    // A profile with role_arn and web_identity_token_file is a web identity profile, which
    // this daemon does not read (AWS_WEB_IDENTITY_TOKEN_FILE does the same).
    if (role_arn && !get("web_identity_token_file"))
      return assume_role(request, profiles, name, p, where, chain);

    const Setting* key = get("aws_access_key_id");
    const Setting* secret = get("aws_secret_access_key");
    if (key && secret) return static_keys(name, p);
    if (key || secret) {
      const Setting* present = key ? key : secret;
      return failed(config_error("PartialCredentials",
                                 "profile " + name + " in " + present->path + " has " +
                                     (key ? "aws_access_key_id but no aws_secret_access_key"
                                          : "aws_secret_access_key but no aws_access_key_id")));
    }
    if (const Setting* process = get("credential_process")) {
      const std::string what =
          "credential_process of profile " + name + " (" + process->where() + ")";
      auto c = run_credential_process(process->value, what, request.deadline);
      if (!c) return failed(c.failure());
      ProviderAttempt attempt;
      attempt.outcome = ProviderAttempt::Outcome::found;
      attempt.credentials = std::move(c.value());
      attempt.detail = "profile " + name + ": credential_process";
      return attempt;
    }
    // Sources of credentials the AWS CLI knows but this daemon does not: say so rather than
    // silently falling through to another identity's credentials.
    for (const char* unsupported :
         {"sso_session", "sso_start_url", "web_identity_token_file", "login_session"}) {
      if (const Setting* s = get(unsupported)) {
        return failed(
            config_error("UnsupportedProfile",
                         "profile " + name + " in " + s->path + " uses " + unsupported +
                             ", which neptune-watchdog does not support; give the profile keys, "
                             "role_arn with source_profile or credential_source, or "
                             "credential_process"),
            /*ends_chain=*/false);
      }
    }
    if (as_source) {
      return failed(config_error("NoCredentials", "profile " + name + ", the source_profile of " +
                                                      chain.back() + ", has no credentials"));
    }
    ProviderAttempt attempt;
    attempt.detail = "profile " + name + ": no keys";
    return attempt;
  }

  static ProviderAttempt static_keys(const std::string& name, const Profile& p) {
    ProviderAttempt attempt;
    attempt.outcome = ProviderAttempt::Outcome::found;
    attempt.credentials.access_key_id = p.at("aws_access_key_id").value;
    attempt.credentials.secret_access_key = p.at("aws_secret_access_key").value;
    const auto token = p.find("aws_session_token");
    if (token != p.end()) attempt.credentials.session_token = token->second.value;
    attempt.detail = "profile " + name + " in " + p.at("aws_access_key_id").path;
    return attempt;
  }

  ProviderAttempt assume_role(const CredentialRequest& request, const Profiles& profiles,
                              const std::string& name, const Profile& p, const std::string& where,
                              std::vector<std::string>& chain) {
    const auto get = [&](const char* key) -> const Setting* {
      const auto s = p.find(key);
      return s == p.end() ? nullptr : &s->second;
    };
    // Settings errors name the file, the line, the profile and the key.
    const auto bad = [&](const char* key, const std::string& why) {
      const Setting* s = get(key);
      return failed(config_error(
          "InvalidProfile",
          (s ? s->where() + ": " : where + ": ") + "profile " + name + ": " + key + ": " + why));
    };
    if (chain.size() >= kMaxRoleChain)
      return bad("source_profile",
                 "more than " + std::to_string(kMaxRoleChain) + " roles chained by source_profile");

    AssumeRoleSettings role;
    role.role_arn = get("role_arn")->value;
    if (auto why = role_arn_problem(role.role_arn)) return bad("role_arn", *why);
    if (const Setting* s = get("external_id")) {
      if (auto why = external_id_problem(s->value)) return bad("external_id", *why);
      role.external_id = s->value;
    }
    if (const Setting* s = get("role_session_name")) {
      if (auto why = role_session_name_problem(s->value)) return bad("role_session_name", *why);
      role.session_name = s->value;
    }
    if (const Setting* s = get("duration_seconds")) {
      int seconds = 0;
      const auto [end, ec] =
          std::from_chars(s->value.data(), s->value.data() + s->value.size(), seconds);
      if (ec != std::errc() || end != s->value.data() + s->value.size() || seconds < 900 ||
          seconds > 43200)
        return bad("duration_seconds", "expected a whole number of seconds from 900 to 43200");
      role.duration_seconds = seconds;
    }

    const Setting* source_profile = get("source_profile");
    const Setting* credential_source = get("credential_source");
    if (source_profile && credential_source)
      return bad("credential_source", "set together with source_profile: give one of them");
    if (!source_profile && !credential_source)
      return bad("role_arn", "needs source_profile or credential_source");

    ProviderAttempt source;
    std::string source_name;
    if (source_profile) {
      source_name = "source_profile " + source_profile->value;
      if (source_profile->value == name) {
        // The AWS CLI's special case: a profile may assume its role with its own keys.
        if (!get("aws_access_key_id") || !get("aws_secret_access_key"))
          return bad("source_profile", "names the profile itself, which has no keys");
        source = static_keys(name, p);
      } else if (std::find(chain.begin(), chain.end(), source_profile->value) != chain.end()) {
        // Named where the loop closes, so that the line to fix is the one reported.
        std::string loop;
        for (const auto& n : chain) loop += n + " -> ";
        return bad("source_profile",
                   "source_profile loop: " + loop + name + " -> " + source_profile->value);
      } else {
        chain.push_back(name);
        source = resolve(request, profiles, source_profile->value, where, chain, true);
        chain.pop_back();
      }
    } else {
      source_name = "credential_source " + credential_source->value;
      CredentialsProvider* provider = nullptr;
      if (credential_source->value == "Environment") provider = environment_.get();
      if (credential_source->value == "Ec2InstanceMetadata") provider = instance_metadata_.get();
      if (credential_source->value == "EcsContainer") provider = container_.get();
      if (!provider)
        return bad("credential_source",
                   "expected Environment, Ec2InstanceMetadata or EcsContainer");
      source = provider->fetch(request);
      if (source.outcome == ProviderAttempt::Outcome::not_configured) {
        return failed(config_error("NoCredentials", "profile " + name + ": " + source_name +
                                                        " has no credentials (" + source.detail +
                                                        ")"));
      }
    }
    if (source.outcome != ProviderAttempt::Outcome::found) {
      source.ends_chain = true;
      if (source.failure.message.rfind("profile " + name, 0) != 0)
        source.failure.message =
            "profile " + name + ": " + source_name + ": " + source.failure.message;
      return source;
    }
    auto credentials = sts_assume_role(request, role, source.credentials);
    if (!credentials) {
      Failure f = credentials.failure();
      f.message = "profile " + name + ": role " + role.role_arn + ": " + f.message;
      return failed(std::move(f));
    }
    ProviderAttempt attempt;
    attempt.outcome = ProviderAttempt::Outcome::found;
    attempt.credentials = std::move(credentials.value());
    attempt.detail = "profile " + name + ": role " + role.role_arn + " with " + source_name;
    return attempt;
  }

  std::unique_ptr<CredentialsProvider> environment_;
  std::unique_ptr<CredentialsProvider> container_;
  std::unique_ptr<CredentialsProvider> instance_metadata_;
};

}  // namespace

std::unique_ptr<CredentialsProvider> make_shared_files_provider() {
  return std::make_unique<SharedFilesProvider>();
}

}  // namespace nw
