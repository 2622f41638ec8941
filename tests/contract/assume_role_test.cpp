// Cross-account access against a scripted STS on loopback: an endpoint's role_arn, shared-config
// role profiles (source_profile chains, credential_source) and credential_process. The
// environment is injected and every STS, container and metadata address is 127.0.0.1, so
// nothing here reaches AWS or the real ~/.aws. Secrets are compared, never printed.
#include <functional>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include "nw/core/query_status.h"
#include "nw/io/credential_chains.h"
#include "nw/io/credential_process.h"
#include "nw/io/credentials.h"
#include "nw/io/neptune_client.h"
#include "nw/io/sigv4.h"
#include "support/aws_fixtures.h"
#include "support/scripted_http_server.h"

namespace nw {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::system_clock;
using test::decode_form;
using test::RecordedRequest;
using test::ScriptedHttpServer;
using test::ScriptedResponse;
using test::sts_error;
using test::TempDir;

// 2024-05-01T12:00:00Z
const system_clock::time_point kNow{seconds(1714564800)};

const std::string kSourceSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSOURCESECRET";
const std::string kSourceToken = "IQoJb3JpZ2luSOURCESESSIONTOKEN0123456789";
const std::string kRoleSecret = "9drTJvcXLB89EXAMPLE/ROLESECRETKEY+abcdefg";
const std::string kRoleToken = "FwoGZXIvYXdzROLESESSIONTOKENabcdef012345";
const std::string kProcessSecret = "PROCESSSECRETKEYabcdefghijklmnop0123456";
const std::string kRole = "arn:aws:iam::210987654321:role/neptune-watchdog";

const std::vector<std::string> kSecrets = {kSourceSecret, kSourceToken, kRoleSecret, kRoleToken,
                                           kProcessSecret};

void expect_no_secret(const std::string& text) {
  for (const auto& secret : kSecrets)
    EXPECT_EQ(text.find(secret), std::string::npos) << "a secret leaked into a message or log";
}

std::string assume_role_success(const std::string& key_id,
                                const std::string& expiration = "2024-05-01T13:00:00Z") {
  return R"(<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>ops</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::210987654321:assumed-role/neptune-watchdog/neptune-watchdog</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:neptune-watchdog</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>)" +
         key_id + R"(</AccessKeyId>
      <SecretAccessKey>)" +
         kRoleSecret + R"(</SecretAccessKey>
      <SessionToken>)" +
         kRoleToken + R"(</SessionToken>
      <Expiration>)" +
         expiration + R"(</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>)";
}

// The access key id an AWS4 Authorization header names.
std::string signer_of(const RecordedRequest& r) {
  const std::string auth = r.header("Authorization");
  const auto start = auth.find("Credential=");
  if (start == std::string::npos) return "";
  const auto end = auth.find('/', start);
  return auth.substr(start + 11, end - start - 11);
}

// Re-signs what STS received with `credentials` at the X-Amz-Date it carries.
std::string expected_sts_authorization(const RecordedRequest& r, const AwsCredentials& credentials,
                                       const std::string& region) {
  SigningRequest s;
  s.method = r.method;
  s.path = r.uri;
  s.headers.emplace_back("Host", r.host_header);
  s.headers.emplace_back("Content-Type", r.content_type);
  s.body = r.body;
  std::tm tm{};
  strptime(r.header("X-Amz-Date").c_str(), "%Y%m%dT%H%M%SZ", &tm);
  sign(s, credentials, region, "sts", system_clock::from_time_t(timegm(&tm)));
  for (const auto& [name, value] : s.headers)
    if (name == "Authorization") return value;
  return "";
}

struct Harness {
  TempDir dir{"nw-role"};
  std::map<std::string, std::string> vars;
  std::ostringstream log_text;
  std::shared_ptr<spdlog::logger> log = std::make_shared<spdlog::logger>(
      "assume-role-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text));

  explicit Harness(const ScriptedHttpServer* sts = nullptr) {
    vars["AWS_EC2_METADATA_DISABLED"] = "true";
    vars["AWS_SHARED_CREDENTIALS_FILE"] = dir.path("absent-credentials");
    vars["AWS_CONFIG_FILE"] = dir.path("absent-config");
    if (sts) vars["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:" + std::to_string(sts->port());
  }
  void source_keys_in_environment() {
    vars["AWS_ACCESS_KEY_ID"] = "AKIASOURCE";
    vars["AWS_SECRET_ACCESS_KEY"] = kSourceSecret;
    vars["AWS_SESSION_TOKEN"] = kSourceToken;
  }
  CredentialChainOptions options(milliseconds timeout = milliseconds(2000)) {
    CredentialChainOptions o;
    o.env = [this](const std::string& name) -> std::optional<std::string> {
      const auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
    o.region = "eu-west-1";
    o.request_timeout = timeout;
    o.log = log;
    return o;
  }
  CredentialChain profile_chain(const std::string& profile,
                                milliseconds timeout = milliseconds(2000)) {
    CredentialChainOptions o = options(timeout);
    o.profile = profile;
    return CredentialChain(std::move(o));
  }
  std::string logged() {
    log->flush();
    return log_text.str();
  }
};

EndpointConfig role_endpoint(const ScriptedHttpServer& neptune) {
  EndpointConfig e = neptune.endpoint();
  e.auth = AuthMode::iam;
  e.region = "eu-west-1";
  e.role_arn = kRole;
  e.external_id = "ops-7f3a";
  return e;
}

// --- an endpoint's role_arn ----------------------------------------------------------------

TEST(AssumeRole, PostsTheFormSignedWithTheSourceCredentials) {
  ScriptedHttpServer sts;
  ScriptedHttpServer neptune;
  sts.enqueue({200, assume_role_success("ASIAROLE"), "text/xml"});
  Harness h(&sts);
  h.source_keys_in_environment();
  CredentialChains chains(h.options());
  auto chain = chains.for_endpoint(role_endpoint(neptune));
  ASSERT_TRUE(chain);
  auto result = chain->get(kNow);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  EXPECT_EQ(result.value().access_key_id, "ASIAROLE");
  EXPECT_TRUE(result.value().secret_access_key == kRoleSecret);
  EXPECT_TRUE(result.value().session_token == kRoleToken);
  ASSERT_TRUE(result.value().expiration.has_value());
  EXPECT_EQ(*result.value().expiration, kNow + hours(1));

  const auto requests = sts.requests();
  ASSERT_EQ(requests.size(), 1u);
  const RecordedRequest& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.uri, "/");
  EXPECT_EQ(r.content_type, "application/x-www-form-urlencoded; charset=utf-8");
  const auto form = decode_form(r.body);
  EXPECT_EQ(form, (std::map<std::string, std::string>{{"Action", "AssumeRole"},
                                                      {"Version", "2011-06-15"},
                                                      {"RoleArn", kRole},
                                                      {"RoleSessionName", "neptune-watchdog"},
                                                      {"ExternalId", "ops-7f3a"}}));
  // Signed for sts in the endpoint's region, with the source's key and session token.
  EXPECT_EQ(signer_of(r), "AKIASOURCE");
  EXPECT_NE(r.header("Authorization").find("/20240501/eu-west-1/sts/aws4_request"),
            std::string::npos);
  EXPECT_TRUE(r.header("X-Amz-Security-Token") == kSourceToken);
  EXPECT_EQ(r.header("X-Amz-Date"), "20240501T120000Z");
  const AwsCredentials source{"AKIASOURCE", kSourceSecret, kSourceToken, std::nullopt};
  EXPECT_TRUE(r.header("Authorization") == expected_sts_authorization(r, source, "eu-west-1"))
      << "the signature does not verify with the source credentials";
  EXPECT_NE(h.logged().find("AWS credentials from assume role (role " + kRole + ")"),
            std::string::npos);
  expect_no_secret(h.logged());
}

TEST(AssumeRole, TheRolesCredentialsSignTheNeptuneRequests) {
  ScriptedHttpServer sts;
  ScriptedHttpServer neptune;
  sts.set_fallback({200, assume_role_success("ASIAROLE", "2099-01-01T00:00:00Z"), "text/xml"});
  neptune.set_fallback({200, R"({"queries":[]})"});
  Harness h(&sts);
  h.source_keys_in_environment();
  CredentialChains chains(h.options());
  const EndpointConfig endpoint = role_endpoint(neptune);
  auto client = make_neptune_client(endpoint, Language::opencypher, chains.for_endpoint(endpoint));
  auto status = client->list_queries();
  ASSERT_TRUE(status.ok()) << status.failure().describe();
  const auto requests = neptune.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(signer_of(requests[0]), "ASIAROLE");
  EXPECT_NE(requests[0].header("Authorization").find("/eu-west-1/neptune-db/aws4_request"),
            std::string::npos);
  EXPECT_TRUE(requests[0].header("X-Amz-Security-Token") == kRoleToken);
  EXPECT_EQ(sts.requests().size(), 1u);
}

TEST(AssumeRole, RefreshesBeforeTheRoleCredentialsExpire) {
  ScriptedHttpServer sts;
  ScriptedHttpServer neptune;
  sts.enqueue({200, assume_role_success("ASIAFIRST", "2024-05-01T13:00:00Z"), "text/xml"});
  sts.enqueue({200, assume_role_success("ASIASECOND", "2024-05-01T14:00:00Z"), "text/xml"});
  Harness h(&sts);
  h.source_keys_in_environment();
  CredentialChains chains(h.options());
  auto chain = chains.for_endpoint(role_endpoint(neptune));
  EXPECT_EQ(chain->get(kNow).value().access_key_id, "ASIAFIRST");
  // Cached until refresh_ahead (5 minutes) before 13:00.
  EXPECT_EQ(chain->get(kNow + minutes(54)).value().access_key_id, "ASIAFIRST");
  EXPECT_EQ(sts.requests().size(), 1u);
  EXPECT_EQ(chain->get(kNow + minutes(56)).value().access_key_id, "ASIASECOND");
  EXPECT_EQ(sts.requests().size(), 2u);
  EXPECT_EQ(chain->get(kNow + minutes(90)).value().access_key_id, "ASIASECOND");
  EXPECT_EQ(sts.requests().size(), 2u);
}

TEST(AssumeRole, StsErrorsAreClearFailures) {
  ScriptedHttpServer sts;
  ScriptedHttpServer neptune;
  Harness h(&sts);
  h.source_keys_in_environment();
  const struct {
    ScriptedResponse response;
    std::string code;
    std::string expected;
  } cases[] = {
      {{403,
        sts_error("AccessDenied",
                  "User: arn:aws:iam::123456789012:user/ops is not authorized to "
                  "perform: sts:AssumeRole on resource: " +
                      kRole),
        "text/xml"},
       "AccessDenied",
       "role " + kRole +
           ": STS AssumeRole: User: arn:aws:iam::123456789012:user/ops is not "
           "authorized to perform: sts:AssumeRole on resource: " +
           kRole + " (the source identity needs sts:AssumeRole on the role"},
      {{400, sts_error("Throttling", "Rate exceeded"), "text/xml"},
       "Throttling",
       "STS AssumeRole: Rate exceeded"},
      {{403, sts_error("RegionDisabledException", "STS is not activated"), "text/xml"},
       "RegionDisabledException",
       "(STS is not activated in eu-west-1 for the account"},
      {{403,
        sts_error("InvalidClientTokenId",
                  "The security token included in the request is "
                  "invalid " +
                      kSourceToken),
        "text/xml"},
       "InvalidClientTokenId",
       "is invalid <redacted> (the source credentials are not valid)"},
      {{502, "<html>bad gateway " + kRoleSecret + "</html>", "text/html"},
       "",
       "STS AssumeRole answered HTTP 502 without an STS error document"},
      {{200, "<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>", "text/xml"},
       "",
       "STS AssumeRole: the answer is not an AssumeRoleResponse"},
  };
  for (const auto& c : cases) {
    sts.enqueue(c.response);
    CredentialChains chains(h.options());
    auto result = chains.for_endpoint(role_endpoint(neptune))->get(kNow);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.failure().code, c.code);
    EXPECT_NE(result.failure().message.find(c.expected), std::string::npos)
        << result.failure().message;
    expect_no_secret(result.failure().describe());
  }
  expect_no_secret(h.logged());
}

TEST(AssumeRole, NoSourceCredentialsMeansNoStsRequest) {
  ScriptedHttpServer sts;
  ScriptedHttpServer neptune;
  Harness h(&sts);
  CredentialChains chains(h.options());
  auto result = chains.for_endpoint(role_endpoint(neptune))->get(kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.failure().message.find("role " + kRole + ": no source credentials: "),
            std::string::npos)
      << result.failure().message;
  EXPECT_TRUE(sts.requests().empty());
}

TEST(AssumeRole, StsEndpointOverridesAndPlainHttpOnlyToLoopback) {
  ScriptedHttpServer sts;
  ScriptedHttpServer neptune;
  sts.set_fallback({200, assume_role_success("ASIAROLE"), "text/xml"});
  Harness h;
  h.source_keys_in_environment();
  // AWS_ENDPOINT_URL serves every service without its own override.
  h.vars["AWS_ENDPOINT_URL"] = "http://127.0.0.1:" + std::to_string(sts.port());
  {
    CredentialChains chains(h.options());
    EXPECT_TRUE(chains.for_endpoint(role_endpoint(neptune))->get(kNow).ok());
    EXPECT_EQ(sts.requests().size(), 1u);
  }
  h.vars["AWS_ENDPOINT_URL_STS"] = "http://sts.example.test/";
  CredentialChains chains(h.options());
  auto refused = chains.for_endpoint(role_endpoint(neptune))->get(kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.failure().message.find("must be https (or loopback)"), std::string::npos)
      << refused.failure().message;
  EXPECT_EQ(sts.requests().size(), 1u);
}

// Same profile, region, role, external id and session name: one chain. Anything else that
// decides the identity: another chain.
TEST(CredentialChains, KeyedByEveryPartOfTheIdentity) {
  ScriptedHttpServer neptune;
  Harness h;
  CredentialChains chains(h.options());
  EndpointConfig a = role_endpoint(neptune);
  a.name = "a";
  EndpointConfig b = a;
  b.name = "b";
  b.request_timeout = milliseconds(500);
  EXPECT_EQ(chains.for_endpoint(a), chains.for_endpoint(b));
  for (const auto& change : std::vector<std::function<void(EndpointConfig&)>>{
           [](EndpointConfig& e) { e.role_arn = "arn:aws:iam::210987654321:role/other"; },
           [](EndpointConfig& e) { e.external_id = "ops-other"; },
           [](EndpointConfig& e) { e.role_session_name = "wd-2"; },
           [](EndpointConfig& e) { e.profile = "prod"; },
           [](EndpointConfig& e) { e.region = "us-east-1"; },
           [](EndpointConfig& e) { e.role_arn.clear(); },
       }) {
    EndpointConfig c = a;
    change(c);
    EXPECT_NE(chains.for_endpoint(a), chains.for_endpoint(c));
  }
  // Without a role, external id and session name decide nothing.
  EndpointConfig plain = a;
  plain.role_arn.clear();
  EndpointConfig plain2 = plain;
  plain2.external_id = "x";
  plain2.role_session_name = "y";
  EXPECT_EQ(chains.for_endpoint(plain), chains.for_endpoint(plain2));
  EndpointConfig none = a;
  none.auth = AuthMode::none;
  EXPECT_EQ(chains.for_endpoint(none), nullptr);
}

// --- shared-config role profiles -------------------------------------------------------------

TEST(ProfileRoles, SourceProfileChainsAssumeEachRoleInTurn) {
  ScriptedHttpServer sts;
  sts.enqueue({200, assume_role_success("ASIAHOP1"), "text/xml"});
  sts.enqueue({200, assume_role_success("ASIAHOP2"), "text/xml"});
  Harness h(&sts);
  h.vars["AWS_CONFIG_FILE"] = h.dir.write(
      "config",
      "[profile prod]\nrole_arn = arn:aws:iam::210987654321:role/prod-watchdog\n"
      "source_profile = hub\nexternal_id = prod-ext\nrole_session_name = wd-prod\n"
      "duration_seconds = 1800\n"
      "[profile hub]\nrole_arn = arn:aws:iam::111111111111:role/hub\nsource_profile = base\n"
      "[profile base]\nregion = eu-west-1\n");
  h.vars["AWS_SHARED_CREDENTIALS_FILE"] = h.dir.write(
      "credentials",
      "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = " + kSourceSecret + "\n");
  auto result = h.profile_chain("prod").get(kNow);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  EXPECT_EQ(result.value().access_key_id, "ASIAHOP2");
  const auto requests = sts.requests();
  ASSERT_EQ(requests.size(), 2u);
  const auto hop1 = decode_form(requests[0].body);
  EXPECT_EQ(hop1.at("RoleArn"), "arn:aws:iam::111111111111:role/hub");
  EXPECT_EQ(hop1.at("RoleSessionName"), "neptune-watchdog");
  EXPECT_EQ(hop1.count("ExternalId"), 0u);
  EXPECT_EQ(hop1.count("DurationSeconds"), 0u);
  EXPECT_EQ(signer_of(requests[0]), "AKIABASE");
  const auto hop2 = decode_form(requests[1].body);
  EXPECT_EQ(hop2.at("RoleArn"), "arn:aws:iam::210987654321:role/prod-watchdog");
  EXPECT_EQ(hop2.at("ExternalId"), "prod-ext");
  EXPECT_EQ(hop2.at("RoleSessionName"), "wd-prod");
  EXPECT_EQ(hop2.at("DurationSeconds"), "1800");
  EXPECT_EQ(signer_of(requests[1]), "ASIAHOP1");
  EXPECT_NE(h.logged().find("profile prod: role arn:aws:iam::210987654321:role/prod-watchdog "
                            "with source_profile hub"),
            std::string::npos)
      << h.logged();
  expect_no_secret(h.logged());
}

TEST(ProfileRoles, ALoopOfSourceProfilesIsRefusedBeforeAnyRequest) {
  ScriptedHttpServer sts;
  Harness h(&sts);
  const std::string config =
      h.dir.write("config",
                  "[profile a]\nrole_arn = arn:aws:iam::210987654321:role/a\nsource_profile = b\n"
                  "[profile b]\nrole_arn = arn:aws:iam::210987654321:role/b\nsource_profile = c\n"
                  "[profile c]\nrole_arn = arn:aws:iam::210987654321:role/c\nsource_profile = a\n");
  h.vars["AWS_CONFIG_FILE"] = config;
  auto result = h.profile_chain("a").get(kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.failure().code, "InvalidProfile");
  EXPECT_NE(result.failure().message.find(config + " line 9: profile c: source_profile: "
                                                   "source_profile loop: a -> b -> c -> a"),
            std::string::npos)
      << result.failure().message;
  EXPECT_TRUE(sts.requests().empty());
}

TEST(ProfileRoles, AProfileMayAssumeItsRoleWithItsOwnKeys) {
  ScriptedHttpServer sts;
  sts.enqueue({200, assume_role_success("ASIASELF"), "text/xml"});
  Harness h(&sts);
  h.vars["AWS_SHARED_CREDENTIALS_FILE"] = h.dir.write(
      "credentials",
      "[ops]\naws_access_key_id = AKIAOPS\naws_secret_access_key = " + kSourceSecret + "\n");
  h.vars["AWS_CONFIG_FILE"] =
      h.dir.write("config", "[profile ops]\nrole_arn = " + kRole + "\nsource_profile = ops\n");
  auto result = h.profile_chain("ops").get(kNow);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  EXPECT_EQ(result.value().access_key_id, "ASIASELF");
  ASSERT_EQ(sts.requests().size(), 1u);
  EXPECT_EQ(signer_of(sts.requests()[0]), "AKIAOPS");
}

TEST(ProfileRoles, CredentialSourceEnvironmentAndContainer) {
  ScriptedHttpServer sts;
  ScriptedHttpServer container;
  sts.set_fallback({200, assume_role_success("ASIAROLE"), "text/xml"});
  container.set_fallback({200, R"({"AccessKeyId":"ASIACONTAINER","SecretAccessKey":")" +
                                   kSourceSecret + R"(","Token":")" + kSourceToken +
                                   R"(","Expiration":"2024-05-01T18:00:00Z"})"});
  Harness h(&sts);
  h.source_keys_in_environment();
  h.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] =
      "http://127.0.0.1:" + std::to_string(container.port()) + "/creds";
  h.vars["AWS_CONFIG_FILE"] = h.dir.write("config", "[profile env]\nrole_arn = " + kRole +
                                                        "\ncredential_source = Environment\n"
                                                        "[profile ecs]\nrole_arn = " +
                                                        kRole +
                                                        "\ncredential_source = EcsContainer\n"
                                                        "[profile bad]\nrole_arn = " +
                                                        kRole + "\ncredential_source = Laptop\n");
  // The environment's keys come first in the chain, so ask the provider itself.
  auto files = make_shared_files_provider();
  const CredentialChainOptions o = h.options();
  const auto fetch = [&](const std::string& profile) {
    return files->fetch({o.env,
                         profile,
                         "eu-west-1",
                         kNow,
                         std::chrono::steady_clock::now() + seconds(2),
                         nullptr,
                         {}});
  };
  auto env = fetch("env");
  ASSERT_EQ(env.outcome, ProviderAttempt::Outcome::found) << env.failure.describe();
  EXPECT_EQ(env.credentials.access_key_id, "ASIAROLE");
  auto ecs = fetch("ecs");
  ASSERT_EQ(ecs.outcome, ProviderAttempt::Outcome::found) << ecs.failure.describe();
  const auto requests = sts.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(signer_of(requests[0]), "AKIASOURCE");
  EXPECT_EQ(signer_of(requests[1]), "ASIACONTAINER");
  auto bad = fetch("bad");
  ASSERT_EQ(bad.outcome, ProviderAttempt::Outcome::failed);
  EXPECT_NE(
      bad.failure.message.find(" line 9: profile bad: credential_source: expected Environment, "
                               "Ec2InstanceMetadata or EcsContainer"),
      std::string::npos)
      << bad.failure.message;
  EXPECT_TRUE(bad.ends_chain);
}

TEST(ProfileRoles, BadSettingsNameTheFileTheLineAndTheKey) {
  ScriptedHttpServer sts;
  Harness h(&sts);
  const std::string config =
      h.dir.write("config",
                  "[profile arn]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n"
                  "[profile both]\nrole_arn = " +
                      kRole +
                      "\nsource_profile = base\ncredential_source = Environment\n"
                      "[profile neither]\nrole_arn = " +
                      kRole +
                      "\n"
                      "[profile long]\nrole_arn = " +
                      kRole +
                      "\nsource_profile = base\nduration_seconds = 99999\n"
                      "[profile session]\nrole_arn = " +
                      kRole +
                      "\nsource_profile = base\nrole_session_name = a b\n"
                      "[profile orphan]\nrole_arn = " +
                      kRole +
                      "\nsource_profile = missing\n"
                      "[profile base]\naws_access_key_id = AKIABASE\naws_secret_access_key = x\n");
  h.vars["AWS_CONFIG_FILE"] = config;
  const std::pair<std::string, std::string> cases[] = {
      {"arn", config + " line 2: profile arn: role_arn: expected arn:PARTITION:iam::ACCOUNT:role/"
                       "NAME (ACCOUNT is the 12-digit account id)"},
      {"both", config + " line 7: profile both: credential_source: set together with "
                        "source_profile"},
      {"neither", config + " line 9: profile neither: role_arn: needs source_profile or "
                           "credential_source"},
      {"long", config + " line 13: profile long: duration_seconds: expected a whole number of "
                        "seconds from 900 to 43200"},
      {"session", config + " line 17: profile session: role_session_name: expected 2 to 64"},
      {"orphan", "source_profile missing of profile orphan not found in "},
  };
  for (const auto& [profile, expected] : cases) {
    auto result = h.profile_chain(profile).get(kNow);
    ASSERT_FALSE(result.ok()) << profile;
    EXPECT_NE(result.failure().message.find(expected), std::string::npos)
        << result.failure().message;
  }
  EXPECT_TRUE(sts.requests().empty());
}

// --- credential_process ----------------------------------------------------------------------

std::string process_json(const std::string& key_id, const std::string& expiration) {
  return R"({"Version": 1, "AccessKeyId": ")" + key_id + R"(", "SecretAccessKey": ")" +
         kProcessSecret + R"(", "SessionToken": ")" + kSourceToken + R"(")" +
         (expiration.empty() ? "" : R"(, "Expiration": ")" + expiration + "\"") + "}";
}

TEST(CredentialProcess, RunsTheCommandWithoutAShellAndReadsItsJson) {
  Harness h;
  // The script prints its arguments' count into the key id: quoting is a shell's, without one.
  const std::string script =
      h.dir.write("creds.sh",
                  "#!/bin/sh\necho \"$2\" >&2\ncat <<EOF\n" +
                      process_json("AKIAPROC$#", "2024-05-01T13:00:00Z") + "\nEOF\n",
                  true);
  h.vars["AWS_CONFIG_FILE"] =
      h.dir.write("config", "[profile proc]\ncredential_process = " + script +
                                " 'one arg' \"two $HOME\" three\\ four\n");
  auto result = h.profile_chain("proc").get(kNow);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  EXPECT_EQ(result.value().access_key_id, "AKIAPROC3");
  EXPECT_TRUE(result.value().secret_access_key == kProcessSecret);
  EXPECT_TRUE(result.value().session_token == kSourceToken);
  ASSERT_TRUE(result.value().expiration.has_value());
  EXPECT_EQ(*result.value().expiration, kNow + hours(1));
  EXPECT_NE(h.logged().find("shared files (profile proc: credential_process)"), std::string::npos)
      << h.logged();
  expect_no_secret(h.logged());
}

TEST(CredentialProcess, FailuresNameTheProfileAndNeverTheOutput) {
  Harness h;
  const std::string failing =
      h.dir.write("fail.sh", "#!/bin/sh\necho 'token " + kProcessSecret + "' >&2\nexit 3\n", true);
  const std::string garbage =
      h.dir.write("garbage.sh", "#!/bin/sh\necho 'not json " + kProcessSecret + "'\n", true);
  const std::string version =
      h.dir.write("version.sh", "#!/bin/sh\necho '{\"AccessKeyId\":\"A\"}'\n", true);
  const std::string slow = h.dir.write("slow.sh", "#!/bin/sh\nsleep 10\n", true);
  h.vars["AWS_CONFIG_FILE"] =
      h.dir.write("config", "[profile fail]\ncredential_process = " + failing +
                                "\n[profile garbage]\ncredential_process = " + garbage +
                                "\n[profile version]\ncredential_process = " + version +
                                "\n[profile slow]\ncredential_process = " + slow +
                                "\n[profile missing]\ncredential_process = " + h.dir.path("nope") +
                                " --secret-arg\n[profile quote]\ncredential_process = x 'open\n");
  const std::pair<std::string, std::string> cases[] = {
      {"fail", "credential_process of profile fail (" + h.dir.path("config") +
                   " line 2): " + failing + " exited with status 3"},
      {"garbage", "credential_process of profile garbage"},
      {"version", "its output has no \"Version\": 1"},
      {"slow", "did not finish within request_timeout; killed"},
      {"missing", "cannot run " + h.dir.path("nope") + ": No such file or directory"},
      {"quote", "the command has an unclosed quote"},
  };
  for (const auto& [profile, expected] : cases) {
    const auto start = std::chrono::steady_clock::now();
    auto result = h.profile_chain(profile, milliseconds(500)).get(kNow);
    EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(3)) << profile;
    ASSERT_FALSE(result.ok()) << profile;
    EXPECT_NE(result.failure().message.find(expected), std::string::npos)
        << result.failure().message;
    EXPECT_EQ(result.failure().message.find("--secret-arg"), std::string::npos);
    expect_no_secret(result.failure().describe());
  }
  expect_no_secret(h.logged());
}

TEST(CredentialProcess, AsTheSourceOfARole) {
  ScriptedHttpServer sts;
  sts.enqueue({200, assume_role_success("ASIAROLE"), "text/xml"});
  Harness h(&sts);
  const std::string script =
      h.dir.write("creds.sh", "#!/bin/sh\necho '" + process_json("AKIAPROC", "") + "'\n", true);
  h.vars["AWS_CONFIG_FILE"] = h.dir.write(
      "config", "[profile role]\nrole_arn = " + kRole +
                    "\nsource_profile = proc\n[profile proc]\ncredential_process = " + script +
                    "\n");
  auto result = h.profile_chain("role").get(kNow);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  EXPECT_EQ(result.value().access_key_id, "ASIAROLE");
  ASSERT_EQ(sts.requests().size(), 1u);
  EXPECT_EQ(signer_of(sts.requests()[0]), "AKIAPROC");
}

TEST(CredentialProcess, SplitsLikeAShell) {
  using Words = std::vector<std::string>;
  EXPECT_EQ(split_command_line("a  b\tc"), (Words{"a", "b", "c"}));
  EXPECT_EQ(split_command_line("a 'b c' \"d \\\"e\\\" $f\" g\\ h ''"),
            (Words{"a", "b c", "d \"e\" $f", "g h", ""}));
  EXPECT_EQ(split_command_line("   "), Words{});
  EXPECT_EQ(split_command_line("a 'b"), std::nullopt);
  EXPECT_EQ(split_command_line("a \"b"), std::nullopt);
}

TEST(CredentialProcess, ParsesVersionOneOutput) {
  auto ok = parse_credential_process_output(process_json("AKIA1", ""), "p");
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE(ok.value().expiration.has_value());
  for (const std::string& bad :
       {std::string(R"({"Version":2,"AccessKeyId":"A","SecretAccessKey":"B"})"),
        std::string(R"({"Version":"1","AccessKeyId":"A","SecretAccessKey":"B"})"),
        std::string(R"({"Version":1,"SecretAccessKey":"B"})"),
        std::string(R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"B","Expiration":"soon"})"),
        std::string("[]")}) {
    EXPECT_FALSE(parse_credential_process_output(bad, "p").ok()) << bad;
  }
}

}  // namespace
}  // namespace nw
