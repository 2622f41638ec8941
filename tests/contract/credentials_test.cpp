// The AWS credential chain against real HTTP servers on loopback: a fake instance metadata
// service, container endpoint and STS. The environment is injected (never the process's), and
// every test points each remote source at 127.0.0.1 or switches it off, so nothing here can
// reach 169.254.169.254, 169.254.170.2, STS or the real ~/.aws.
#include "nw/io/credentials.h"

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <sys/stat.h>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

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
using test::ScriptedHttpServer;
using test::ScriptedResponse;
using test::sts_error;
using test::TempDir;

// 2024-05-01T12:00:00Z
const system_clock::time_point kNow{seconds(1714564800)};

// Secrets every source hands out or receives; none may ever appear in a message or a log.
const std::string kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETKEY";
const std::string kSessionToken = "IQoJb3JpZ2luX2VjSESSIONTOKENxyz0123456789";
const std::string kWebIdentityToken = "eyJhbGciOiJSUzI1NiJ9.WEB+IDENTITY/TOKEN=";
const std::string kContainerToken = "Basic Q09OVEFJTkVSLUFVVEgtVE9LRU4=";
const std::string kImdsToken = "AQAEAIMDS-SESSION-TOKEN-0123456789==";
const std::vector<std::string> kAllSecrets = {kSecret, kSessionToken, kWebIdentityToken,
                                              kContainerToken, kImdsToken};

void expect_no_secret(const std::string& text) {
  for (const auto& secret : kAllSecrets)
    EXPECT_EQ(text.find(secret), std::string::npos) << "a secret leaked into: " << text;
}

std::string credentials_json(const std::string& key_id,
                             const std::string& expiration = "2024-05-01T13:00:00Z") {
  return R"({"Code":"Success","LastUpdated":"2024-05-01T11:55:00Z","Type":"AWS-HMAC","AccessKeyId":")" +
         key_id + R"(","SecretAccessKey":")" + kSecret + R"(","Token":")" + kSessionToken +
         R"(","Expiration":")" + expiration + "\"}";
}

std::string sts_success(const std::string& key_id) {
  return R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:ops:watchdog</SubjectFromWebIdentityToken>
    <Audience>sts.amazonaws.com</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/watchdog/wd</Arn>
      <AssumedRoleId>AROAEXAMPLE:wd</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>)" +
         key_id + R"(</AccessKeyId>
      <SecretAccessKey>)" +
         kSecret + R"(</SecretAccessKey>
      <SessionToken>)" +
         kSessionToken + R"(</SessionToken>
      <Expiration>2024-05-01T13:00:00Z</Expiration>
    </Credentials>
    <Provider>arn:aws:iam::123456789012:oidc-provider/oidc.eks.example</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>)";
}

// --- test scaffolding ---------------------------------------------------------------------

// An injected environment. It starts with the metadata service off and the shared files
// pointing at files that do not exist, so a test only enables what it is about.
class FakeEnv {
 public:
  explicit FakeEnv(const TempDir& dir) {
    vars_["AWS_EC2_METADATA_DISABLED"] = "true";
    vars_["AWS_SHARED_CREDENTIALS_FILE"] = dir.path("absent-credentials");
    vars_["AWS_CONFIG_FILE"] = dir.path("absent-config");
  }
  void set(const std::string& name, const std::string& value) { vars_[name] = value; }
  void unset(const std::string& name) { vars_.erase(name); }
  EnvLookup lookup() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      // Only FULL_URI is ever tested: the relative form always means 169.254.170.2.
      EXPECT_EQ(vars_.count("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), 0u);
      const auto it = vars_.find(name);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    };
  }

 private:
  std::map<std::string, std::string> vars_;
};

// The ScriptedHttpServer records no request headers; the metadata service and container
// tests check them, so they use this small recorder (also on 127.0.0.1, port 0).
struct SeenRequest {
  std::string method;
  std::string uri;
  std::string body;
  Poco::Net::NameValueCollection headers;
};

class RecordingServer {
 public:
  RecordingServer() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(true);
    params->setMaxThreads(2);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
    server_->start();
  }
  ~RecordingServer() { server_->stopAll(true); }

  void enqueue(int status, std::string body) {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back({status, std::move(body)});
  }
  std::vector<SeenRequest> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }
  std::string url(const std::string& path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  struct Answer {
    int status;
    std::string body;
  };
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(RecordingServer& owner) : owner_(owner) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      SeenRequest seen{request.getMethod(), request.getURI(), "", request};
      Poco::StreamCopier::copyToString(request.stream(), seen.body);
      Answer answer{404, "not scripted"};
      {
        std::lock_guard<std::mutex> lock(owner_.mutex_);
        owner_.seen_.push_back(std::move(seen));
        if (!owner_.queue_.empty()) {
          answer = owner_.queue_.front();
          owner_.queue_.pop_front();
        }
      }
      response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
      response.setContentLength(static_cast<std::streamsize>(answer.body.size()));
      response.send() << answer.body;
    }

   private:
    RecordingServer& owner_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(RecordingServer& owner) : owner_(owner) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(owner_);
    }

   private:
    RecordingServer& owner_;
  };

  mutable std::mutex mutex_;
  std::deque<Answer> queue_;
  std::vector<SeenRequest> seen_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::uint16_t port_ = 0;
};

// The metadata service's three answers for one credential fetch (token, role, credentials).
void script_imds(RecordingServer& imds, const std::string& key_id,
                 const std::string& expiration = "2024-05-01T13:00:00Z") {
  imds.enqueue(200, kImdsToken);
  imds.enqueue(200, "watchdog-role");
  imds.enqueue(200, credentials_json(key_id, expiration));
}

struct Harness {
  TempDir dir;
  FakeEnv env{dir};
  std::ostringstream log_text;
  std::shared_ptr<spdlog::logger> log = std::make_shared<spdlog::logger>(
      "credentials-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text));

  CredentialChain chain(std::string profile = "", milliseconds timeout = milliseconds(2000)) {
    CredentialChainOptions options;
    options.env = env.lookup();
    options.profile = std::move(profile);
    options.region = "us-east-1";
    options.request_timeout = timeout;
    options.log = log;
    return CredentialChain(std::move(options));
  }
  std::string logged() {
    log->flush();
    return log_text.str();
  }
};

// --- environment ------------------------------------------------------------------------------

TEST(CredentialsEnvironment, ReadsKeysAndSessionToken) {
  Harness h;
  h.env.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  h.env.set("AWS_SECRET_ACCESS_KEY", kSecret);
  h.env.set("AWS_SESSION_TOKEN", kSessionToken);
  auto result = h.chain().get(kNow);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  EXPECT_EQ(result.value().access_key_id, "AKIAENV");
  EXPECT_EQ(result.value().secret_access_key, kSecret);
  EXPECT_EQ(result.value().session_token, kSessionToken);
  EXPECT_FALSE(result.value().expiration.has_value());
  expect_no_secret(h.logged());
}

TEST(CredentialsEnvironment, HalfAPairIsSkippedAndNamed) {
  Harness h;
  h.env.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  auto result = h.chain().get(kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(
      result.failure().message.find("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"),
      std::string::npos)
      << result.failure().message;

  h.env.set("AWS_SHARED_CREDENTIALS_FILE",
            h.dir.write("credentials",
                        "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = " +
                            kSecret + "\n"));
  auto from_file = h.chain().get(kNow);
  ASSERT_TRUE(from_file.ok()) << from_file.failure().describe();
  EXPECT_EQ(from_file.value().access_key_id, "AKIAFILE");
}

// --- shared files -------------------------------------------------------------------------------

TEST(CredentialsSharedFiles, DefaultProfileFromTheCredentialsFile) {
  Harness h;
  h.env.set(
      "AWS_SHARED_CREDENTIALS_FILE",
      h.dir.write(
          "credentials",
          "# comment\r\n[other]\r\naws_access_key_id=AKIAOTHER\r\naws_secret_access_key=x\r\n\r\n"
          "[default]\r\n  ; indented comment\r\nAWS_ACCESS_KEY_ID = AKIADEFAULT  \r\n"
          "aws_secret_access_key =   " +
              kSecret + "\r\naws_session_token=" + kSessionToken + "\r\n"));
  auto result = h.chain().get(kNow);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  EXPECT_EQ(result.value().access_key_id, "AKIADEFAULT");
  EXPECT_EQ(result.value().secret_access_key, kSecret);
  EXPECT_EQ(result.value().session_token, kSessionToken);
}

TEST(CredentialsSharedFiles, HomeDefaultsWhenTheVariablesAreUnset) {
  Harness h;
  h.env.unset("AWS_SHARED_CREDENTIALS_FILE");
  h.env.unset("AWS_CONFIG_FILE");
  h.env.set("HOME", h.dir.path("home"));
  h.dir.write("home/.aws/config",
              "[profile ops]\naws_access_key_id = AKIAHOMECONFIG\naws_secret_access_key = " +
                  kSecret + "\n");
  auto result = h.chain("ops").get(kNow);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  EXPECT_EQ(result.value().access_key_id, "AKIAHOMECONFIG");
}

TEST(CredentialsSharedFiles, ProfileFromAwsProfileAndTheEndpointOverridesIt) {
  Harness h;
  h.env.set(
      "AWS_SHARED_CREDENTIALS_FILE",
      h.dir.write("credentials",
                  "[default]\naws_access_key_id=AKIADEFAULT\naws_secret_access_key=" + kSecret +
                      "\n[ops]\naws_access_key_id=AKIAOPS\naws_secret_access_key=" + kSecret +
                      "\n[prod]\naws_access_key_id=AKIAPROD\naws_secret_access_key=" + kSecret +
                      "\n"));
  h.env.set("AWS_PROFILE", "ops");
  auto from_env = h.chain().get(kNow);
  ASSERT_TRUE(from_env.ok()) << from_env.failure().describe();
  EXPECT_EQ(from_env.value().access_key_id, "AKIAOPS");
  auto explicit_profile = h.chain("prod").get(kNow);
  ASSERT_TRUE(explicit_profile.ok()) << explicit_profile.failure().describe();
  EXPECT_EQ(explicit_profile.value().access_key_id, "AKIAPROD");
}

TEST(CredentialsSharedFiles, ConfigFileSectionsAndTheCredentialsFileWins) {
  Harness h;
  h.env.set(
      "AWS_CONFIG_FILE",
      h.dir.write(
          "config",
          "[default]\nregion = us-east-1\naws_access_key_id = AKIACONFIGDEFAULT\n"
          "aws_secret_access_key = " +
              kSecret +
              "\n"
              "[ops]\naws_access_key_id = AKIANOTAPROFILE\naws_secret_access_key = x\n"
              "[profile   ops]\ns3 =\n  max_concurrent_requests = 2\n"
              "aws_access_key_id = AKIACONFIGOPS\naws_secret_access_key = " +
              kSecret +
              "\n"
              "[profile both]\naws_access_key_id = AKIACONFIGBOTH\naws_secret_access_key = x\n"));
  h.env.set("AWS_SHARED_CREDENTIALS_FILE",
            h.dir.write("credentials",
                        "[both]\naws_access_key_id = AKIACREDSBOTH\naws_secret_access_key = " +
                            kSecret + "\n"));
  auto def = h.chain().get(kNow);
  ASSERT_TRUE(def.ok()) << def.failure().describe();
  EXPECT_EQ(def.value().access_key_id, "AKIACONFIGDEFAULT");
  auto ops = h.chain("ops").get(kNow);
  ASSERT_TRUE(ops.ok()) << ops.failure().describe();
  EXPECT_EQ(ops.value().access_key_id, "AKIACONFIGOPS");
  auto both = h.chain("both").get(kNow);
  ASSERT_TRUE(both.ok()) << both.failure().describe();
  EXPECT_EQ(both.value().access_key_id, "AKIACREDSBOTH");
}

TEST(CredentialsSharedFiles, NamedProfileThatDoesNotExistEndsTheChain) {
  Harness h;
  RecordingServer imds;
  h.env.set("AWS_EC2_METADATA_DISABLED", "false");
  h.env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
  h.env.set(
      "AWS_SHARED_CREDENTIALS_FILE",
      h.dir.write("credentials", "[default]\naws_access_key_id=A\naws_secret_access_key=B\n"));
  auto result = h.chain("prod").get(kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.failure().code, "ProfileNotFound");
  EXPECT_NE(result.failure().message.find("profile prod not found in " + h.dir.path("credentials")),
            std::string::npos)
      << result.failure().message;
  EXPECT_TRUE(imds.requests().empty())
      << "another identity's credentials must not be used silently";
}

TEST(CredentialsSharedFiles, PartialAndUnsupportedProfilesAreClearFailures) {
  Harness h;
  h.env.set("AWS_SHARED_CREDENTIALS_FILE",
            h.dir.write("credentials", "[default]\naws_access_key_id = AKIAHALF\n"));
  auto partial = h.chain().get(kNow);
  ASSERT_FALSE(partial.ok());
  EXPECT_EQ(partial.failure().code, "PartialCredentials");
  EXPECT_NE(partial.failure().message.find("has aws_access_key_id but no aws_secret_access_key"),
            std::string::npos);

  h.env.set("AWS_SHARED_CREDENTIALS_FILE", h.dir.path("absent-credentials"));
  h.env.set(
      "AWS_CONFIG_FILE",
      h.dir.write("config", "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\n"));
  auto unsupported = h.chain("sso").get(kNow);
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.failure().code, "UnsupportedProfile");
  EXPECT_NE(unsupported.failure().message.find("uses sso_session"), std::string::npos)
      << unsupported.failure().message;
}

// A credentials or config file another local user can write would let that user choose the
// identity the daemon acts as: refused with the fix, without a byte of the file, and without
// falling through to another source (here the metadata service).
TEST(CredentialsSharedFiles, AFileOthersCanWriteIsRefusedWithoutItsContents) {
  struct Row {
    const char* variable;
    mode_t mode;
    const char* shown;
  } rows[] = {{"AWS_SHARED_CREDENTIALS_FILE", 0666, "0666"},
              {"AWS_SHARED_CREDENTIALS_FILE", 0620, "0620"},
              {"AWS_CONFIG_FILE", 0646, "0646"}};
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.variable) + " " + row.shown);
    Harness h;
    RecordingServer imds;
    h.env.set("AWS_EC2_METADATA_DISABLED", "false");
    h.env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
    const std::string path = h.dir.write(
        "file", "[default]\naws_access_key_id = AKIAOPEN\naws_secret_access_key = " + kSecret +
                    "\naws_session_token = " + kSessionToken + "\n");
    ASSERT_EQ(::chmod(path.c_str(), row.mode), 0);
    h.env.set(row.variable, path);
    auto result = h.chain().get(kNow);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.failure().kind, FailureKind::service_error);
    EXPECT_EQ(result.failure().code, "UntrustedFile");
    EXPECT_NE(result.failure().message.find(
                  path + " is writable by others (mode " + row.shown +
                  "): anyone could change which AWS identity the daemon acts as; fix with: "
                  "chmod go-w " +
                  path),
              std::string::npos)
        << result.failure().message;
    EXPECT_EQ(result.failure().describe().find("AKIAOPEN"), std::string::npos);
    expect_no_secret(result.failure().describe());
    expect_no_secret(h.logged());
    EXPECT_TRUE(imds.requests().empty())
        << "another identity's credentials must not be used silently";
  }
}

TEST(CredentialsSharedFiles, AFileReadableByItsGroupIsFine) {
  Harness h;
  const std::string path = h.dir.write(
      "credentials",
      "[default]\naws_access_key_id = AKIAGROUP\naws_secret_access_key = " + kSecret + "\n");
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  h.env.set("AWS_SHARED_CREDENTIALS_FILE", path);
  auto result = h.chain().get(kNow);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  EXPECT_EQ(result.value().access_key_id, "AKIAGROUP");
}

// --- web identity
// ---------------------------------------------------------------------------------

void enable_web_identity(Harness& h, const ScriptedHttpServer& sts) {
  h.env.set("AWS_WEB_IDENTITY_TOKEN_FILE",
            h.dir.write("web-identity-token", kWebIdentityToken + "\n"));
  h.env.set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/watchdog");
  h.env.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:" + std::to_string(sts.port()));
}

TEST(CredentialsWebIdentity, PostsTheFormUnsignedAndParsesTheXml) {
  Harness h;
  ScriptedHttpServer sts;
  sts.enqueue({200, sts_success("ASIASTS"), "text/xml"});
  enable_web_identity(h, sts);
  h.env.set("AWS_ROLE_SESSION_NAME", "wd-session");
  auto result = h.chain().get(kNow);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  EXPECT_EQ(result.value().access_key_id, "ASIASTS");
  EXPECT_EQ(result.value().secret_access_key, kSecret);
  EXPECT_EQ(result.value().session_token, kSessionToken);
  ASSERT_TRUE(result.value().expiration.has_value());
  EXPECT_EQ(*result.value().expiration, kNow + hours(1));

  const auto requests = sts.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].uri, "/");
  EXPECT_EQ(requests[0].content_type, "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(requests[0].body.find(kWebIdentityToken), std::string::npos)
      << "the token must be URL-encoded";
  const auto form = decode_form(requests[0].body);
  EXPECT_EQ(form.at("Action"), "AssumeRoleWithWebIdentity");
  EXPECT_EQ(form.at("Version"), "2011-06-15");
  EXPECT_EQ(form.at("RoleArn"), "arn:aws:iam::123456789012:role/watchdog");
  EXPECT_EQ(form.at("RoleSessionName"), "wd-session");
  EXPECT_EQ(form.at("WebIdentityToken"), kWebIdentityToken);
  expect_no_secret(h.logged());
}

TEST(CredentialsWebIdentity, GeneratesASessionNameAndRereadsTheTokenFile) {
  Harness h;
  ScriptedHttpServer sts;
  sts.set_fallback({200, sts_success("ASIASTS"), "text/xml"});
  enable_web_identity(h, sts);
  auto provider = make_web_identity_provider();
  const EnvLookup env = h.env.lookup();
  ASSERT_EQ(
      provider->fetch({env, "", "", kNow, std::chrono::steady_clock::now() + seconds(2)}).outcome,
      ProviderAttempt::Outcome::found);
  h.dir.write("web-identity-token", "rotated-token");
  ASSERT_EQ(
      provider->fetch({env, "", "", kNow, std::chrono::steady_clock::now() + seconds(2)}).outcome,
      ProviderAttempt::Outcome::found);
  const auto requests = sts.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(decode_form(requests[0].body).at("RoleSessionName").rfind("neptune-watchdog-", 0), 0u);
  EXPECT_EQ(decode_form(requests[1].body).at("WebIdentityToken"), "rotated-token");
}

TEST(CredentialsWebIdentity, StsErrorXmlIsAClearFailureWithoutTheToken) {
  Harness h;
  ScriptedHttpServer sts;
  // Even if STS echoed the token, it would not reach the message.
  sts.enqueue({400, sts_error("InvalidIdentityToken", "Token " + kWebIdentityToken + " is expired"),
               "text/xml"});
  enable_web_identity(h, sts);
  auto result = h.chain().get(kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.failure().code, "InvalidIdentityToken");
  EXPECT_EQ(result.failure().http_status, 400);
  EXPECT_NE(
      result.failure().message.find("web identity (InvalidIdentityToken (HTTP 400): STS "
                                    "AssumeRoleWithWebIdentity: Token <redacted> is expired)"),
      std::string::npos)
      << result.failure().message;
  expect_no_secret(result.failure().describe());

  sts.enqueue({403,
               sts_error("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
               "text/xml"});
  auto denied = h.chain().get(kNow);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.failure().code, "AccessDenied");
  EXPECT_EQ(denied.failure().http_status, 403);
  EXPECT_NE(
      denied.failure().describe().find("Not authorized to perform sts:AssumeRoleWithWebIdentity"),
      std::string::npos);
  expect_no_secret(h.logged());
}

TEST(CredentialsWebIdentity, GarbageAnswersAreClearFailures) {
  Harness h;
  ScriptedHttpServer sts;
  enable_web_identity(h, sts);
  const struct {
    ScriptedResponse response;
    std::string expected;
  } cases[] = {
      {{200, "<html><body>proxy login</body></html>", "text/html"},
       "is not an AssumeRoleWithWebIdentityResponse"},
      {{200, "not xml at all <<<" + kSecret, "text/plain"},
       "is not an AssumeRoleWithWebIdentityResponse"},
      {{200,
        "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><"
        "AccessKeyId>A"
        "</AccessKeyId><SecretAccessKey>" +
            kSecret +
            "</SecretAccessKey></Credentials>"
            "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>",
        "text/xml"},
       "has no SessionToken"},
      {{500, "Internal Server Error " + kSecret, "text/plain"},
       "answered HTTP 500 without an STS error document"},
  };
  for (const auto& c : cases) {
    sts.enqueue(c.response);
    auto result = h.chain().get(kNow);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.failure().message.find(c.expected), std::string::npos)
        << result.failure().message;
    expect_no_secret(result.failure().describe());
  }
  expect_no_secret(h.logged());
}

TEST(CredentialsWebIdentity, RefusesPlainHttpToANonLoopbackStsAndNeedsARegion) {
  Harness h;
  ScriptedHttpServer sts;
  enable_web_identity(h, sts);
  h.env.set("AWS_ENDPOINT_URL_STS", "http://sts.example.test/");
  auto clear_text = h.chain().get(kNow);
  ASSERT_FALSE(clear_text.ok());
  EXPECT_NE(clear_text.failure().message.find("must be https (or loopback)"), std::string::npos);

  // Without an override STS is https://sts.REGION.amazonaws.com; with no region at all the
  // provider fails before any request.
  h.env.unset("AWS_ENDPOINT_URL_STS");
  const EnvLookup env = h.env.lookup();
  auto provider = make_web_identity_provider();
  const auto attempt =
      provider->fetch({env, "", "", kNow, std::chrono::steady_clock::now() + seconds(1)});
  ASSERT_EQ(attempt.outcome, ProviderAttempt::Outcome::failed);
  EXPECT_NE(attempt.failure.message.find("no valid region for STS"), std::string::npos);
  EXPECT_TRUE(sts.requests().empty());
}

// --- container
// --------------------------------------------------------------------------------------

TEST(CredentialsContainer, FullUriWithTheTokenFileWhichBeatsTheTokenVariable) {
  Harness h;
  RecordingServer container;
  container.enqueue(200, credentials_json("ASIACONTAINER"));
  h.env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url("/v1/credentials?id=7"));
  h.env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            h.dir.write("container-token", kContainerToken + "\n"));
  h.env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "the-variable-loses");
  auto result = h.chain().get(kNow);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  EXPECT_EQ(result.value().access_key_id, "ASIACONTAINER");
  EXPECT_EQ(result.value().session_token, kSessionToken);
  EXPECT_EQ(result.value().expiration, kNow + hours(1));
  const auto requests = container.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].uri, "/v1/credentials?id=7");
  EXPECT_EQ(requests[0].headers.get("Authorization", ""), kContainerToken);
  expect_no_secret(h.logged());
}

// The token files are credentials too: one others can write is refused before any request.
TEST(CredentialsTokenFiles, ATokenFileOthersCanWriteIsRefusedBeforeAnyRequest) {
  {
    Harness h;
    ScriptedHttpServer sts;
    sts.set_fallback({200, sts_success("ASIASTS"), "text/xml"});
    enable_web_identity(h, sts);
    const std::string token = h.dir.path("web-identity-token");
    ASSERT_EQ(::chmod(token.c_str(), 0666), 0);
    auto result = h.chain().get(kNow);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.failure().kind, FailureKind::service_error);
    EXPECT_NE(result.failure().message.find(token + " is writable by others (mode 0666)"),
              std::string::npos)
        << result.failure().message;
    EXPECT_TRUE(sts.requests().empty());
    expect_no_secret(result.failure().describe());
    expect_no_secret(h.logged());
  }
  {
    Harness h;
    RecordingServer container;
    container.enqueue(200, credentials_json("ASIACONTAINER"));
    h.env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url("/creds"));
    const std::string token = h.dir.write("container-token", kContainerToken + "\n");
    ASSERT_EQ(::chmod(token.c_str(), 0620), 0);
    h.env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token);
    auto result = h.chain().get(kNow);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.failure().kind, FailureKind::service_error);
    EXPECT_NE(result.failure().message.find(token + " is writable by others (mode 0620)"),
              std::string::npos)
        << result.failure().message;
    EXPECT_TRUE(container.requests().empty());
    expect_no_secret(result.failure().describe());
    expect_no_secret(h.logged());
  }
}

TEST(CredentialsContainer, TokenVariableWhenNoFile) {
  Harness h;
  RecordingServer container;
  container.enqueue(200, credentials_json("ASIACONTAINER"));
  h.env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url("/creds"));
  h.env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", kContainerToken);
  auto result = h.chain().get(kNow);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  ASSERT_EQ(container.requests().size(), 1u);
  EXPECT_EQ(container.requests()[0].headers.get("Authorization", ""), kContainerToken);
}

TEST(CredentialsContainer, WhenSetTheMetadataServiceIsNotTried) {
  Harness h;
  RecordingServer container;
  RecordingServer imds;
  script_imds(imds, "ASIAIMDS");
  h.env.set("AWS_EC2_METADATA_DISABLED", "false");
  h.env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());

  // Not an allowed host for plain HTTP: refused without any request.
  h.env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://credentials.example.test/creds");
  auto refused = h.chain().get(kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.failure().message.find("must be https, loopback, 169.254.170.2"),
            std::string::npos)
      << refused.failure().message;

  // An error answer, garbage, an unreadable token file, a line break in the token.
  h.env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url("/creds"));
  container.enqueue(500, "{\"code\":\"InternalError\",\"message\":\"" + kSecret + "\"}");
  auto error = h.chain().get(kNow);
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.failure().http_status, 500);
  EXPECT_NE(error.failure().message.find("answered HTTP 500"), std::string::npos)
      << error.failure().message;

  container.enqueue(200, "{\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"" + kSecret);
  auto garbage = h.chain().get(kNow);
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.failure().message.find("the answer is not a JSON object"), std::string::npos);

  container.enqueue(200, R"({"AccessKeyId":"A","Token":"t"})");
  auto missing = h.chain().get(kNow);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.failure().message.find("the answer has no SecretAccessKey"), std::string::npos);

  h.env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", h.dir.path("no-such-token"));
  auto unreadable = h.chain().get(kNow);
  ASSERT_FALSE(unreadable.ok());
  EXPECT_NE(unreadable.failure().message.find("cannot be read"), std::string::npos);

  h.env.unset("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  h.env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "abc\r\nX-Injected: 1");
  auto injected = h.chain().get(kNow);
  ASSERT_FALSE(injected.ok());
  EXPECT_NE(injected.failure().message.find("contains a line break"), std::string::npos);

  EXPECT_EQ(container.requests().size(), 3u);
  EXPECT_TRUE(imds.requests().empty());
  for (const auto* r : {&refused, &error, &garbage, &missing, &unreadable, &injected})
    expect_no_secret(r->failure().describe());
  expect_no_secret(h.logged());
}

// --- instance metadata (IMDSv2)
// --------------------------------------------------------------------

void enable_imds(Harness& h, const RecordingServer& imds) {
  h.env.set("AWS_EC2_METADATA_DISABLED", "false");
  h.env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
}

TEST(CredentialsInstanceMetadata, TokenPutThenRoleGetThenCredentials) {
  Harness h;
  RecordingServer imds;
  script_imds(imds, "ASIAIMDS");
  enable_imds(h, imds);
  auto result = h.chain().get(kNow);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  EXPECT_EQ(result.value().access_key_id, "ASIAIMDS");
  EXPECT_EQ(result.value().secret_access_key, kSecret);
  EXPECT_EQ(result.value().session_token, kSessionToken);
  EXPECT_EQ(result.value().expiration, kNow + hours(1));

  const auto r = imds.requests();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].method, "PUT");
  EXPECT_EQ(r[0].uri, "/latest/api/token");
  EXPECT_EQ(r[0].headers.get("X-aws-ec2-metadata-token-ttl-seconds", ""), "21600");
  EXPECT_FALSE(r[0].headers.has("X-aws-ec2-metadata-token"));
  EXPECT_EQ(r[1].method, "GET");
  EXPECT_EQ(r[1].uri, "/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(r[1].headers.get("X-aws-ec2-metadata-token", ""), kImdsToken);
  EXPECT_EQ(r[2].method, "GET");
  EXPECT_EQ(r[2].uri, "/latest/meta-data/iam/security-credentials/watchdog-role");
  EXPECT_EQ(r[2].headers.get("X-aws-ec2-metadata-token", ""), kImdsToken);
  const std::string log = h.logged();
  EXPECT_NE(log.find("instance metadata (role watchdog-role), expiring 2024-05-01T13:00:00Z"),
            std::string::npos)
      << log;
  expect_no_secret(log);
}

TEST(CredentialsInstanceMetadata, DisabledMeansNoRequestAtAll) {
  Harness h;
  RecordingServer imds;
  script_imds(imds, "ASIAIMDS");
  h.env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
  for (const char* value : {"true", "TRUE", "True"}) {
    h.env.set("AWS_EC2_METADATA_DISABLED", value);
    auto result = h.chain().get(kNow);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(
        result.failure().message.find("instance metadata (disabled by AWS_EC2_METADATA_DISABLED)"),
        std::string::npos);
  }
  EXPECT_TRUE(imds.requests().empty());
}

TEST(CredentialsInstanceMetadata, A401RefreshesTheTokenOnce) {
  Harness h;
  RecordingServer imds;
  enable_imds(h, imds);
  imds.enqueue(200, "first-token");
  imds.enqueue(401, "");
  imds.enqueue(200, kImdsToken);
  imds.enqueue(200, "watchdog-role");
  imds.enqueue(200, credentials_json("ASIAIMDS"));
  auto result = h.chain().get(kNow);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  const auto r = imds.requests();
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[2].method, "PUT");
  EXPECT_EQ(r[3].headers.get("X-aws-ec2-metadata-token", ""), kImdsToken);
  EXPECT_EQ(r[4].headers.get("X-aws-ec2-metadata-token", ""), kImdsToken);

  // Only once: a second 401 is the answer.
  Harness h2;
  RecordingServer imds2;
  enable_imds(h2, imds2);
  for (const char* token : {"one", "two"}) {
    imds2.enqueue(200, token);
    imds2.enqueue(401, "");
  }
  auto denied = h2.chain().get(kNow);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.failure().http_status, 401);
  EXPECT_EQ(imds2.requests().size(), 4u);
}

TEST(CredentialsInstanceMetadata, GarbageAndErrorsAreClearFailures) {
  const struct {
    std::vector<std::pair<int, std::string>> answers;
    std::string expected;
  } cases[] = {
      {{{500, "oops"}}, "PUT /latest/api/token answered HTTP 500"},
      {{{403, ""}}, "IMDSv2 tokens refused"},
      {{{200, ""}}, "did not answer with a token"},
      {{{200, kImdsToken}, {404, ""}}, "no IAM role is attached to this instance"},
      {{{200, kImdsToken}, {200, "<html>\n<body>" + kSecret}}, "did not answer with a role name"},
      {{{200, kImdsToken}, {200, "r"}, {500, kSecret}},
       "GET /latest/meta-data/iam/security-credentials/r answered HTTP 500"},
      {{{200, kImdsToken}, {200, "r"}, {200, "\x01\x02garbage" + kSecret}},
       "the answer is not a JSON object"},
      {{{200, kImdsToken}, {200, "r"}, {200, "[1,2,3]"}}, "the answer is not a JSON object"},
      {{{200, kImdsToken},
        {200, "r"},
        {200, R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"x"})"}},
       "the credentials are not available"},
      {{{200, kImdsToken}, {200, "r"}, {200, credentials_json("A", "next tuesday")}},
       "Expiration is not an ISO-8601 time"},
      {{{200, kImdsToken},
        {200, "r"},
        {200, R"({"AccessKeyId":"A","SecretAccessKey":")" + kSecret + "\"}"}},
       "the answer has no Expiration"},
  };
  for (const auto& c : cases) {
    Harness h;
    RecordingServer imds;
    enable_imds(h, imds);
    for (const auto& [status, body] : c.answers) imds.enqueue(status, body);
    auto result = h.chain().get(kNow);
    ASSERT_FALSE(result.ok()) << c.expected;
    EXPECT_NE(result.failure().message.find("instance metadata ("), std::string::npos);
    EXPECT_NE(result.failure().message.find(c.expected), std::string::npos)
        << result.failure().message;
    expect_no_secret(result.failure().describe());
    expect_no_secret(h.logged());
  }
}

TEST(CredentialsInstanceMetadata, DownServiceIsATransportFailure) {
  Harness h;
  std::string url;
  {
    RecordingServer gone;
    url = gone.url();
  }
  h.env.set("AWS_EC2_METADATA_DISABLED", "false");
  h.env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", url);
  auto result = h.chain().get(kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.failure().kind, FailureKind::transport);
  EXPECT_NE(result.failure().message.find("PUT /latest/api/token"), std::string::npos)
      << result.failure().message;
}

// --- the chain
// ----------------------------------------------------------------------------------------

TEST(CredentialsChain, OrderEnvironmentFilesWebIdentityContainerMetadata) {
  Harness h;
  ScriptedHttpServer sts;
  RecordingServer container;
  RecordingServer imds;
  sts.set_fallback({200, sts_success("ASIASTS"), "text/xml"});
  h.env.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  h.env.set("AWS_SECRET_ACCESS_KEY", kSecret);
  h.env.set("AWS_SHARED_CREDENTIALS_FILE",
            h.dir.write(
                "credentials",
                "[default]\naws_access_key_id=AKIAFILE\naws_secret_access_key=" + kSecret + "\n"));
  enable_web_identity(h, sts);
  h.env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url("/creds"));
  enable_imds(h, imds);

  const auto key = [&]() {
    auto r = h.chain().get(kNow);
    return r.ok() ? r.value().access_key_id : "failed: " + r.failure().describe();
  };
  EXPECT_EQ(key(), "AKIAENV");
  h.env.unset("AWS_ACCESS_KEY_ID");
  h.env.unset("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(key(), "AKIAFILE");
  h.env.set("AWS_SHARED_CREDENTIALS_FILE", h.dir.path("absent-credentials"));
  EXPECT_EQ(key(), "ASIASTS");
  h.env.unset("AWS_WEB_IDENTITY_TOKEN_FILE");
  h.env.unset("AWS_ROLE_ARN");
  container.enqueue(200, credentials_json("ASIACONTAINER"));
  EXPECT_EQ(key(), "ASIACONTAINER");
  h.env.unset("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  script_imds(imds, "ASIAIMDS");
  EXPECT_EQ(key(), "ASIAIMDS");

  EXPECT_EQ(sts.requests().size(), 1u);
  EXPECT_EQ(container.requests().size(), 1u);
  EXPECT_EQ(imds.requests().size(), 3u);
}

TEST(CredentialsChain, AFailingSourceIsLoggedAndTheNextOneUsed) {
  Harness h;
  ScriptedHttpServer sts;
  RecordingServer imds;
  sts.enqueue({403, sts_error("AccessDenied", "Not authorized"), "text/xml"});
  enable_web_identity(h, sts);
  script_imds(imds, "ASIAIMDS");
  enable_imds(h, imds);
  auto result = h.chain().get(kNow);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  EXPECT_EQ(result.value().access_key_id, "ASIAIMDS");
  const std::string log = h.logged();
  EXPECT_NE(log.find("web identity (AccessDenied (HTTP 403)"), std::string::npos) << log;
  expect_no_secret(log);
}

TEST(CredentialsChain, NoCredentialsNamesEverySourceTried) {
  Harness h;
  auto result = h.chain().get(kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(
      result.failure().message,
      "no credentials: tried environment (not set), shared files (profile default: not found), "
      "web identity (not set), container (not set), instance metadata (disabled by "
      "AWS_EC2_METADATA_DISABLED)");
  EXPECT_NE(h.logged().find("no credentials: tried environment"), std::string::npos);
}

TEST(CredentialsChain, CachesAndRefreshesAheadOfExpiry) {
  Harness h;
  RecordingServer imds;
  enable_imds(h, imds);
  script_imds(imds, "ASIAFIRST", "2024-05-01T13:00:00Z");
  auto chain = h.chain();
  ASSERT_EQ(chain.get(kNow).value().access_key_id, "ASIAFIRST");
  EXPECT_EQ(imds.requests().size(), 3u);

  // Cached until five minutes before expiry.
  ASSERT_EQ(chain.get(kNow + minutes(30)).value().access_key_id, "ASIAFIRST");
  ASSERT_EQ(chain.get(kNow + minutes(54)).value().access_key_id, "ASIAFIRST");
  EXPECT_EQ(imds.requests().size(), 3u);

  // Then refreshed, reusing the metadata token (still valid for hours): no second PUT.
  imds.enqueue(200, "watchdog-role");
  imds.enqueue(200, credentials_json("ASIASECOND", "2024-05-01T14:00:00Z"));
  auto refreshed = chain.get(kNow + minutes(56));
  ASSERT_TRUE(refreshed.ok()) << refreshed.failure().describe();
  EXPECT_EQ(refreshed.value().access_key_id, "ASIASECOND");
  const auto r = imds.requests();
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[3].method, "GET");
  EXPECT_EQ(r[3].headers.get("X-aws-ec2-metadata-token", ""), kImdsToken);

  // invalidate() forgets them.
  imds.enqueue(200, "watchdog-role");
  imds.enqueue(200, credentials_json("ASIATHIRD", "2024-05-01T14:00:00Z"));
  chain.invalidate(kNow + minutes(57));
  EXPECT_EQ(chain.get(kNow + minutes(57)).value().access_key_id, "ASIATHIRD");
  const auto asked = imds.requests().size();

  // A peer that keeps rejecting them costs one lookup per min_refresh_interval (30 s).
  chain.invalidate(kNow + minutes(57) + seconds(10));
  EXPECT_EQ(chain.get(kNow + minutes(57) + seconds(10)).value().access_key_id, "ASIATHIRD");
  EXPECT_EQ(imds.requests().size(), asked);
  imds.enqueue(200, "watchdog-role");
  imds.enqueue(200, credentials_json("ASIAFOURTH", "2024-05-01T14:00:00Z"));
  chain.invalidate(kNow + minutes(57) + seconds(31));
  EXPECT_EQ(chain.get(kNow + minutes(57) + seconds(31)).value().access_key_id, "ASIAFOURTH");
}

TEST(CredentialsChain, KeepsWorkingCredentialsWhenARefreshFailsUntilTheyExpire) {
  Harness h;
  RecordingServer imds;
  enable_imds(h, imds);
  script_imds(imds, "ASIAFIRST", "2024-05-01T13:00:00Z");
  auto chain = h.chain();
  ASSERT_TRUE(chain.get(kNow).ok());

  imds.enqueue(500, kSecret);  // the role list fails
  auto still = chain.get(kNow + minutes(56));
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still.value().access_key_id, "ASIAFIRST");
  EXPECT_EQ(imds.requests().size(), 4u);
  // Not asked again at every call: the next attempt waits min_refresh_interval (30 s).
  ASSERT_TRUE(chain.get(kNow + minutes(56) + seconds(10)).ok());
  EXPECT_EQ(imds.requests().size(), 4u);
  const std::string log = h.logged();
  EXPECT_NE(log.find("the current ones stay in use until they expire at 2024-05-01T13:00:00Z"),
            std::string::npos)
      << log;

  // Once expired they are not handed out.
  imds.enqueue(500, "");
  auto expired = chain.get(kNow + hours(1) + seconds(1));
  ASSERT_FALSE(expired.ok());
  EXPECT_NE(expired.failure().message.find("answered HTTP 500"), std::string::npos);
  expect_no_secret(h.logged());
}

TEST(CredentialsChain, CredentialsInsideTheRefreshWindowAreNotFetchedAtEveryCall) {
  Harness h;
  RecordingServer imds;
  enable_imds(h, imds);
  script_imds(imds, "ASIASOON", "2024-05-01T12:02:00Z");  // two minutes left
  auto chain = h.chain();
  ASSERT_TRUE(chain.get(kNow).ok());
  ASSERT_TRUE(chain.get(kNow + seconds(20)).ok());
  EXPECT_EQ(imds.requests().size(), 3u);

  imds.enqueue(200, "watchdog-role");  // the metadata token is still cached
  imds.enqueue(200, credentials_json("ASIAPAST", "2024-05-01T11:00:00Z"));
  chain.invalidate(kNow);
  auto past = chain.get(kNow);
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.failure().message.find("credentials expired at 2024-05-01T11:00:00Z"),
            std::string::npos)
      << past.failure().message;
}

TEST(CredentialsChain, StaticCredentialsAreLookedUpAgainAfterFiveMinutes) {
  Harness h;
  h.env.set("AWS_ACCESS_KEY_ID", "AKIAOLD");
  h.env.set("AWS_SECRET_ACCESS_KEY", kSecret);
  auto chain = h.chain();
  ASSERT_EQ(chain.get(kNow).value().access_key_id, "AKIAOLD");
  h.env.set("AWS_ACCESS_KEY_ID", "AKIANEW");
  EXPECT_EQ(chain.get(kNow + minutes(4)).value().access_key_id, "AKIAOLD");
  EXPECT_EQ(chain.get(kNow + minutes(5)).value().access_key_id, "AKIANEW");
}

TEST(CredentialsChain, ASlowSourceCostsAtMostRequestTimeout) {
  Harness h;
  ScriptedHttpServer sts;
  sts.set_fallback({200, sts_success("ASIASTS"), "text/xml", milliseconds(5000)});
  enable_web_identity(h, sts);
  auto chain = h.chain("", milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  auto result = chain.get(kNow);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.failure().kind, FailureKind::timeout);
  EXPECT_NE(result.failure().message.find(
                "STS AssumeRoleWithWebIdentity: no answer within request_timeout"),
            std::string::npos)
      << result.failure().message;
  EXPECT_LT(took, milliseconds(1000));
  EXPECT_NE(h.logged().find("timeout"), std::string::npos);
}

TEST(CredentialsChain, FailuresAreLoggedOnceAMinute) {
  Harness h;
  auto chain = h.chain();
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(chain.get(kNow + seconds(10 * i)).ok());
  EXPECT_FALSE(chain.get(kNow + seconds(61)).ok());
  const std::string log = h.logged();
  std::size_t lines = 0;
  for (auto pos = log.find("no credentials"); pos != std::string::npos;
       pos = log.find("no credentials", pos + 1))
    ++lines;
  EXPECT_EQ(lines, 2u) << log;
}

}  // namespace
}  // namespace nw
