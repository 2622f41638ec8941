// HTTPS: the client verifies the certificate chain and the host name, always. Certificates
// are made for the test run with the openssl command-line tool.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "nw/core/neptune_error.h"
#include "nw/io/neptune_client.h"
#include "support/scripted_http_server.h"

namespace nw {
namespace {

namespace fs = std::filesystem;
using test::ScriptedHttpServer;
using test::TlsIdentity;

const std::string kEmptyList = R"({"acceptedQueryCount":0,"runningQueryCount":0,"queries":[]})";

class TlsFiles {
 public:
  TlsFiles() : dir_(fs::temp_directory_path() / ("nw-tls-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
    make("good", "localhost", "DNS:localhost,IP:127.0.0.1");
    make("wrong-name", "wrong.test", "DNS:wrong.test");
    make("neptune", "db-1.cluster-x.us-east-1.neptune.amazonaws.com",
         "DNS:db-1.cluster-x.us-east-1.neptune.amazonaws.com");
  }
  ~TlsFiles() { fs::remove_all(dir_); }

  TlsIdentity identity(const std::string& name) const {
    return {(dir_ / (name + ".crt")).string(), (dir_ / (name + ".key")).string()};
  }

 private:
  // A self-signed certificate, which therefore also serves as its own trust anchor.
  void make(const std::string& name, const std::string& cn, const std::string& san) {
    const auto crt = dir_ / (name + ".crt");
    const auto key = dir_ / (name + ".key");
    const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + cn +
                            " -addext subjectAltName=" + san + " -keyout " + key.string() + " -out " +
                            crt.string() + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl failed: " + cmd);
  }

  fs::path dir_;
};

const TlsFiles& tls_files() {
  static const TlsFiles files;
  return files;
}

TEST(NeptuneClientTls, TrustedCertificateForTheHostIsAccepted) {
  const auto identity = tls_files().identity("good");
  ScriptedHttpServer server(std::chrono::seconds(10), &identity);
  server.set_fallback({200, kEmptyList});
  auto endpoint = server.endpoint();
  endpoint.ca_file = identity.certificate_file;
  const auto result = make_neptune_client(endpoint)->list_queries();
  EXPECT_TRUE(result.ok()) << result.failure().describe();
}

TEST(NeptuneClientTls, UntrustedCertificateIsRefused) {
  const auto identity = tls_files().identity("good");
  ScriptedHttpServer server(std::chrono::seconds(10), &identity);
  server.set_fallback({200, kEmptyList});
  const auto result = make_neptune_client(server.endpoint())->list_queries();  // system store only
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.failure().kind, FailureKind::tls);
  EXPECT_FALSE(is_retryable(result.failure()));
  EXPECT_EQ(result.failure().describe().rfind("TLS: handshake with 127.0.0.1:" + std::to_string(server.port()) +
                                              " failed: ", 0),
            0u)
      << result.failure().describe();
  EXPECT_TRUE(server.requests().empty());
}

TEST(NeptuneClientTls, CertificateForAnotherHostIsRefused) {
  const auto identity = tls_files().identity("wrong-name");
  ScriptedHttpServer server(std::chrono::seconds(10), &identity);
  server.set_fallback({200, kEmptyList});
  auto endpoint = server.endpoint();
  endpoint.ca_file = identity.certificate_file;
  const auto result = make_neptune_client(endpoint)->list_queries();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.failure().kind, FailureKind::tls) << result.failure().describe();
  EXPECT_TRUE(server.requests().empty());
}

// Through an SSH tunnel or port-forward the client dials 127.0.0.1 but still verifies the
// real name, which it also sends as SNI and Host.
TEST(NeptuneClientTls, TlsServerNameVerifiesTheRealNameThroughATunnel) {
  const auto identity = tls_files().identity("neptune");
  ScriptedHttpServer server(std::chrono::seconds(10), &identity);
  server.set_fallback({200, kEmptyList});
  auto endpoint = server.endpoint();
  endpoint.ca_file = identity.certificate_file;
  EXPECT_FALSE(make_neptune_client(endpoint)->list_queries().ok()) << "127.0.0.1 is not the certificate's name";
  endpoint.tls_server_name = "db-1.cluster-x.us-east-1.neptune.amazonaws.com";
  auto client = make_neptune_client(endpoint);
  const auto first = client->list_queries();
  EXPECT_TRUE(first.ok()) << first.failure().describe();
  EXPECT_TRUE(client->list_queries().ok());  // and again on the kept-alive connection
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].host_header,
            "db-1.cluster-x.us-east-1.neptune.amazonaws.com:" + std::to_string(server.port()));
  endpoint.tls_server_name = "other.cluster-x.us-east-1.neptune.amazonaws.com";
  EXPECT_FALSE(make_neptune_client(endpoint)->list_queries().ok()) << "a name the certificate lacks";
}

TEST(NeptuneClientTls, UnreadableCaFileIsASetupErrorNamingTheKey) {
  EndpointConfig endpoint;
  endpoint.name = "writer";
  endpoint.url = {true, "127.0.0.1", 8182};
  endpoint.ca_file = "/nonexistent/ca.pem";
  try {
    make_neptune_client(endpoint);
    FAIL() << "expected EndpointSetupError";
  } catch (const EndpointSetupError& e) {
    EXPECT_EQ(e.key, "endpoint.writer.ca_file");
  }
}

}  // namespace
}  // namespace nw
