// auth = iam: every request is signed with SigV4 over exactly what went on the wire. The
// recorded request is signed again independently and must give the same Authorization.
#include <map>

#include <gtest/gtest.h>

#include "nw/core/neptune_error.h"
#include "nw/io/credentials.h"
#include "nw/io/neptune_client.h"
#include "nw/io/sigv4.h"
#include "support/scripted_http_server.h"

namespace nw {
namespace {

using test::RecordedRequest;
using test::ScriptedHttpServer;

const std::string kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const std::string kToken = "FwoGZXIvYXdzEXAMPLETOKEN";

std::shared_ptr<CredentialChain> chain_with(std::map<std::string, std::string> env) {
  CredentialChainOptions options;
  options.env = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  options.region = "us-east-1";
  options.request_timeout = std::chrono::milliseconds(500);
  return std::make_shared<CredentialChain>(std::move(options));
}

EndpointConfig iam_endpoint(const ScriptedHttpServer& server, ApiForm api) {
  EndpointConfig e = server.endpoint(api);
  e.auth = AuthMode::iam;
  e.region = "us-east-1";
  return e;
}

// Re-signs what the server received, at the X-Amz-Date it carries.
std::string expected_authorization(const RecordedRequest& r, const AwsCredentials& credentials) {
  SigningRequest s;
  s.method = r.method;
  const auto q = r.uri.find('?');
  s.path = r.uri.substr(0, q);
  s.query = q == std::string::npos ? "" : r.uri.substr(q + 1);
  s.headers.emplace_back("Host", r.host_header);
  if (r.method == "POST") s.headers.emplace_back("Content-Type", r.content_type);
  s.body = r.body;
  std::tm tm{};
  strptime(r.header("X-Amz-Date").c_str(), "%Y%m%dT%H%M%SZ", &tm);
  sign(s, credentials, "us-east-1", "neptune-db",
       std::chrono::system_clock::from_time_t(timegm(&tm)));
  for (const auto& [name, value] : s.headers)
    if (name == "Authorization") return value;
  return "";
}

TEST(NeptuneClientIam, SignsEveryRequestOverWhatIsSent) {
  const std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                                  {"AWS_SECRET_ACCESS_KEY", kSecret},
                                                  {"AWS_SESSION_TOKEN", kToken},
                                                  {"AWS_EC2_METADATA_DISABLED", "true"}};
  const AwsCredentials credentials{"AKIDEXAMPLE", kSecret, kToken, std::nullopt};
  for (ApiForm api : {ApiForm::rest, ApiForm::legacy}) {
    SCOPED_TRACE(api == ApiForm::rest ? "rest" : "legacy");
    ScriptedHttpServer server;
    server.enqueue({200, R"({"queries":[]})"});
    server.enqueue({200, R"({"status":"200 OK","payload":true})"});
    auto client =
        make_neptune_client(iam_endpoint(server, api), Language::opencypher, chain_with(env));
    ASSERT_TRUE(client->list_queries().ok());
    ASSERT_TRUE(client->cancel_query("f43ce17b-db01-4d37-a074-c76d1c26d7a9", true).ok());
    for (const auto& r : server.requests()) {
      SCOPED_TRACE(r.method + " " + r.uri);
      const std::string authorization = r.header("Authorization");
      EXPECT_EQ(authorization.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 0), 0u)
          << authorization;
      EXPECT_NE(authorization.find("/us-east-1/neptune-db/aws4_request"), std::string::npos);
      EXPECT_NE(authorization.find("x-amz-security-token"), std::string::npos)
          << "the token is signed";
      EXPECT_EQ(r.header("X-Amz-Security-Token"), kToken);
      EXPECT_EQ(authorization, expected_authorization(r, credentials));
      EXPECT_EQ(authorization.find(kSecret), std::string::npos);
    }
  }
}

TEST(NeptuneClientIam, NoCredentialsMeansNothingIsSent) {
  ScriptedHttpServer server;
  server.set_fallback({200, R"({"queries":[]})"});
  auto client =
      make_neptune_client(iam_endpoint(server, ApiForm::rest), Language::opencypher,
                          chain_with({{"AWS_EC2_METADATA_DISABLED", "true"},
                                      {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"},
                                      {"AWS_CONFIG_FILE", "/nonexistent/config"}}));
  const auto result = client->list_queries();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.failure().kind, FailureKind::credentials);
  EXPECT_FALSE(is_retryable(result.failure()));
  EXPECT_NE(result.failure().message.find("no credentials"), std::string::npos)
      << result.failure().message;
  EXPECT_TRUE(server.requests().empty());
}

TEST(NeptuneClientIam, AnIamEndpointWithoutAChainIsASetupError) {
  ScriptedHttpServer server;
  EXPECT_THROW(make_neptune_client(iam_endpoint(server, ApiForm::rest)), EndpointSetupError);
}

// A source that counts its lookups (an STS call each, under IRSA).
class CountingProvider final : public CredentialsProvider {
 public:
  explicit CountingProvider(int* lookups) : lookups_(lookups) {}
  std::string_view name() const override { return "counting"; }
  ProviderAttempt fetch(const CredentialRequest&) override {
    ++*lookups_;
    ProviderAttempt attempt;
    attempt.outcome = ProviderAttempt::Outcome::found;
    attempt.credentials = {"AKIDEXAMPLE", kSecret, kToken, std::nullopt};
    return attempt;
  }

 private:
  int* lookups_;
};

std::string error_json(const std::string& code, const std::string& message) {
  return R"({"requestId":"r1","code":")" + code + R"(","detailedMessage":")" + message + "\"}";
}

// A missing permission is not fixed by new credentials: an AccessDenied keeps them. Only a
// rejection of the credentials themselves looks them up again, once per 30 s at most.
TEST(NeptuneClientIam, AccessDeniedKeepsTheCredentialsAndExpiredOnesAreLookedUpAgain) {
  ScriptedHttpServer server;
  int lookups = 0;
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  providers.push_back(std::make_unique<CountingProvider>(&lookups));
  CredentialChainOptions options;
  options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto chain = std::make_shared<CredentialChain>(std::move(options), std::move(providers));
  auto client =
      make_neptune_client(iam_endpoint(server, ApiForm::rest), Language::opencypher, chain);

  for (int i = 0; i < 5; ++i)
    server.enqueue(
        {403, error_json("AccessDeniedException",
                         "User: arn:aws:sts::1:assumed-role/w is not authorized to perform: "
                         "neptune-db:CancelQuery")});
  for (int i = 0; i < 5; ++i) {
    const auto refused = client->cancel_query("q1", false);
    ASSERT_FALSE(refused.ok());
    EXPECT_TRUE(is_access_denied(refused.failure()));
  }
  EXPECT_EQ(lookups, 1);

  server.enqueue({403, error_json("ExpiredTokenException",
                                  "The security token included in the request is expired")});
  server.enqueue({403, error_json("ExpiredTokenException",
                                  "The security token included in the request is expired")});
  server.set_fallback({200, R"({"acceptedQueryCount":0,"runningQueryCount":0,"queries":[]})"});
  EXPECT_FALSE(client->list_queries().ok());
  EXPECT_FALSE(client->list_queries().ok());  // looked up afresh for this one
  EXPECT_EQ(lookups, 2);
  EXPECT_TRUE(client->list_queries().ok());  // the second rejection came within 30 s: kept
  EXPECT_EQ(lookups, 2);
}

}  // namespace
}  // namespace nw
