// The etcd client against a real etcd (Debian's etcd-server, 3.4) on loopback: leases, the
// compare-and-swap transactions replicas will own units with, ranges, watches, a dead member,
// and auth.
#include "nw/io/etcd_client.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "nw/io/tls_context.h"
#include "support/etcd_server.h"

namespace nw {
namespace {

using namespace std::chrono_literals;
using test::EtcdServer;

class EtcdClientTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = std::make_unique<EtcdServer>(); }

  std::unique_ptr<EtcdClient> client(EtcdOptions options = {}) {
    if (options.endpoints.empty()) options.endpoints = {server_->client_url()};
    options.request_timeout = 2s;
    options.watch_window = 300ms;
    auto made = EtcdClient::create(std::move(options), nullptr);
    EXPECT_TRUE(made.ok()) << (made ? "" : made.failure().describe());
    return made ? std::move(made.value()) : nullptr;
  }

  std::unique_ptr<EtcdServer> server_;
};

TEST_F(EtcdClientTest, LeaseIsGrantedKeptAliveAndRevoked) {
  auto etcd = client();
  auto lease = etcd->grant(5);
  ASSERT_TRUE(lease.ok()) << lease.failure().describe();
  EXPECT_NE(lease.value().id, 0);
  EXPECT_EQ(lease.value().ttl, 5);
  auto ttl = etcd->keep_alive(lease.value().id);
  ASSERT_TRUE(ttl.ok()) << ttl.failure().describe();
  EXPECT_EQ(ttl.value(), 5);
  auto revoked = etcd->revoke(lease.value().id);
  ASSERT_TRUE(revoked.ok()) << revoked.failure().describe();
  EXPECT_TRUE(revoked.value());
  // Gone: a keep-alive says so with 0, a second revoke with false.
  ttl = etcd->keep_alive(lease.value().id);
  ASSERT_TRUE(ttl.ok()) << ttl.failure().describe();
  EXPECT_EQ(ttl.value(), 0);
  revoked = etcd->revoke(lease.value().id);
  ASSERT_TRUE(revoked.ok()) << revoked.failure().describe();
  EXPECT_FALSE(revoked.value());
}

TEST_F(EtcdClientTest, PutIfAbsentWinsOnceAndLosesForASecondOwner) {
  auto etcd = client();
  auto lease = etcd->grant(10);
  ASSERT_TRUE(lease.ok());
  auto first = etcd->put_if_absent("/nw/owners/unit-1", "replica-a", lease.value().id);
  ASSERT_TRUE(first.ok()) << first.failure().describe();
  EXPECT_TRUE(first.value().succeeded);
  EXPECT_GT(first.value().revision, 0);
  auto second = etcd->put_if_absent("/nw/owners/unit-1", "replica-b", 0);
  ASSERT_TRUE(second.ok()) << second.failure().describe();
  EXPECT_FALSE(second.value().succeeded);

  auto read = etcd->range("/nw/owners/");
  ASSERT_TRUE(read.ok()) << read.failure().describe();
  ASSERT_EQ(read.value().kvs.size(), 1u);
  const EtcdKeyValue& kv = read.value().kvs[0];
  EXPECT_EQ(kv.key, "/nw/owners/unit-1");
  EXPECT_EQ(kv.value, "replica-a");
  EXPECT_EQ(kv.create_revision, first.value().revision);  // the fencing token
  EXPECT_EQ(kv.mod_revision, first.value().revision);
  EXPECT_EQ(kv.lease, lease.value().id);
}

TEST_F(EtcdClientTest, AKeyVanishesWhenItsLeaseExpires) {
  auto etcd = client();
  auto lease = etcd->grant(2);
  ASSERT_TRUE(lease.ok());
  ASSERT_TRUE(etcd->put_if_absent("/nw/owners/u", "a", lease.value().id).value().succeeded);
  const auto start = std::chrono::steady_clock::now();
  bool gone = false;
  while (!gone && std::chrono::steady_clock::now() - start < 6s) {
    std::this_thread::sleep_for(100ms);
    auto read = etcd->range("/nw/owners/u");
    ASSERT_TRUE(read.ok()) << read.failure().describe();
    gone = read.value().kvs.empty();
  }
  EXPECT_TRUE(gone);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_EQ(etcd->keep_alive(lease.value().id).value(), 0);
  EXPECT_TRUE(etcd->put_if_absent("/nw/owners/u", "b", 0).value().succeeded);
}

TEST_F(EtcdClientTest, CompareAndDeleteOnlyDeletesItsOwnValue) {
  auto etcd = client();
  ASSERT_TRUE(etcd->put_if_absent("/nw/owners/u", "replica-a", 0).value().succeeded);
  auto other = etcd->compare_and_delete("/nw/owners/u", "replica-b");
  ASSERT_TRUE(other.ok()) << other.failure().describe();
  EXPECT_FALSE(other.value().succeeded);
  EXPECT_EQ(etcd->range("/nw/owners/u").value().kvs.size(), 1u);
  auto own = etcd->compare_and_delete("/nw/owners/u", "replica-a");
  ASSERT_TRUE(own.ok()) << own.failure().describe();
  EXPECT_TRUE(own.value().succeeded);
  EXPECT_TRUE(etcd->range("/nw/owners/u").value().kvs.empty());
  // A key that is not there is not deleted either.
  EXPECT_FALSE(etcd->compare_and_delete("/nw/owners/u", "replica-a").value().succeeded);
}

TEST_F(EtcdClientTest, RangeReadsEveryKeyUnderAPrefixInKeyOrder) {
  auto etcd = client();
  const std::string binary("/p/\xff\x00\x01", 6);
  for (const std::string key : {"/p/b", "/p/a", "/q/c", "/p", "/p0"})
    ASSERT_TRUE(etcd->put_if_absent(key, "v" + key, 0).value().succeeded);
  ASSERT_TRUE(etcd->put_if_absent(binary, std::string("\0\xfe", 2), 0).value().succeeded);
  auto read = etcd->range("/p/");
  ASSERT_TRUE(read.ok()) << read.failure().describe();
  ASSERT_EQ(read.value().kvs.size(), 3u);
  EXPECT_EQ(read.value().kvs[0].key, "/p/a");
  EXPECT_EQ(read.value().kvs[0].value, "v/p/a");
  EXPECT_EQ(read.value().kvs[1].key, "/p/b");
  EXPECT_EQ(read.value().kvs[2].key, binary);
  EXPECT_EQ(read.value().kvs[2].value, std::string("\0\xfe", 2));
  EXPECT_GE(read.value().revision, 6);
  EXPECT_EQ(etcd->range("").value().kvs.size(), 6u);
  EXPECT_TRUE(etcd->range("/none/").value().kvs.empty());
}

TEST_F(EtcdClientTest, WatchSeesPutsAndDeletesAfterARevision) {
  auto etcd = client();
  ASSERT_TRUE(etcd->put_if_absent("/w/before", "old", 0).value().succeeded);
  const std::int64_t from = etcd->range("/w/").value().revision + 1;

  std::mutex mutex;
  std::vector<EtcdEvent> seen;
  std::atomic<bool> stop{false};
  Result<std::int64_t> ended = Failure{};
  std::thread watcher([&] {
    ended = etcd->watch(
        "/w/", from,
        [&](const std::vector<EtcdEvent>& events) {
          std::lock_guard<std::mutex> lock(mutex);
          seen.insert(seen.end(), events.begin(), events.end());
        },
        stop);
  });
  // Across more than one watch window: the next window resumes where the last ended.
  std::this_thread::sleep_for(400ms);
  auto put = etcd->put_if_absent("/w/x", "1", 0);
  ASSERT_TRUE(put.ok());
  ASSERT_TRUE(etcd->put_if_absent("/elsewhere", "1", 0).value().succeeded);
  std::this_thread::sleep_for(400ms);
  auto deleted = etcd->compare_and_delete("/w/x", "1");
  ASSERT_TRUE(deleted.ok());
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (seen.size() >= 2 || std::chrono::steady_clock::now() - start > 5s) break;
    }
    std::this_thread::sleep_for(20ms);
  }
  stop = true;
  watcher.join();
  ASSERT_TRUE(ended.ok()) << ended.failure().describe();
  EXPECT_EQ(ended.value(), deleted.value().revision + 1);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].type, EtcdEvent::Type::put);
  EXPECT_EQ(seen[0].kv.key, "/w/x");
  EXPECT_EQ(seen[0].kv.value, "1");
  EXPECT_EQ(seen[0].kv.create_revision, put.value().revision);
  EXPECT_EQ(seen[1].type, EtcdEvent::Type::del);
  EXPECT_EQ(seen[1].kv.key, "/w/x");
  EXPECT_EQ(seen[1].kv.mod_revision, deleted.value().revision);
}

TEST_F(EtcdClientTest, WatchFromACompactedRevisionFails) {
  auto etcd = client();
  ASSERT_TRUE(etcd->put_if_absent("/w/a", "1", 0).value().succeeded);
  ASSERT_TRUE(etcd->compare_and_delete("/w/a", "1").value().succeeded);
  const std::int64_t now = etcd->range("/w/").value().revision;
  server_->post("/v3/kv/compaction", "{\"revision\":\"" + std::to_string(now) + "\"}");
  std::atomic<bool> stop{false};
  auto ended = etcd->watch(
      "/w/", 1, [](const std::vector<EtcdEvent>&) {}, stop);
  ASSERT_FALSE(ended.ok());
  EXPECT_EQ(ended.failure().kind, FailureKind::service_error);
  EXPECT_EQ(ended.failure().code, "Compacted");
}

TEST_F(EtcdClientTest, MovesToTheNextMemberWhenOneIsDeadAndStaysThere) {
  EtcdOptions options;
  options.endpoints = {"http://127.0.0.1:" + std::to_string(EtcdServer::free_port()),
                       server_->client_url()};
  auto etcd = client(options);
  auto lease = etcd->grant(5);
  ASSERT_TRUE(lease.ok()) << lease.failure().describe();
  EXPECT_EQ(etcd->preferred_member(), 1u);
  ASSERT_TRUE(etcd->put_if_absent("/k", "v", lease.value().id).value().succeeded);
  EXPECT_EQ(etcd->preferred_member(), 1u);

  std::atomic<bool> stop{true};
  EXPECT_TRUE(etcd->watch(
                      "/k", 0, [](const std::vector<EtcdEvent>&) {}, stop)
                  .ok());
}

TEST_F(EtcdClientTest, NoMemberAnsweringIsATransportFailure) {
  EtcdOptions options;
  options.endpoints = {"http://127.0.0.1:" + std::to_string(EtcdServer::free_port()),
                       "http://127.0.0.1:" + std::to_string(EtcdServer::free_port())};
  auto etcd = client(options);
  auto lease = etcd->grant(5);
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.failure().kind, FailureKind::transport);
  EXPECT_NE(lease.failure().message.find("no etcd member answered"), std::string::npos);
  std::atomic<bool> stop{false};
  auto watched = etcd->watch(
      "/k", 0, [](const std::vector<EtcdEvent>&) {}, stop);
  ASSERT_FALSE(watched.ok());
  EXPECT_EQ(watched.failure().kind, FailureKind::transport);
}

TEST_F(EtcdClientTest, BadMemberUrlsAreRefused) {
  for (const std::string url : {"ftp://127.0.0.1:2379", "http://127.0.0.1:2379/v3", "127.0.0.1"}) {
    EtcdOptions options;
    options.endpoints = {url};
    auto made = EtcdClient::create(options, nullptr);
    ASSERT_FALSE(made.ok()) << url;
    EXPECT_NE(made.failure().message.find(url), std::string::npos);
  }
  EXPECT_FALSE(EtcdClient::create(EtcdOptions{}, nullptr).ok());
}

// A self-signed certificate (its own trust anchor), made for the test with openssl.
void make_certificate(const std::string& base, const std::string& cn, const std::string& san) {
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + cn +
                          " -addext subjectAltName=" + san + " -keyout " + base + ".key -out " +
                          base + ".crt >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl failed: " + cmd);
}

TEST_F(EtcdClientTest, HttpsWithAClientCertificate) {
  char made[] = "/tmp/nw-etcd-tls-XXXXXX";
  ASSERT_NE(::mkdtemp(made), nullptr);
  const std::string dir = made;
  make_certificate(dir + "/server", "localhost", "DNS:localhost,IP:127.0.0.1");
  make_certificate(dir + "/client", "watchdog", "DNS:watchdog.test");
  // etcd's gateway dials etcd's own gRPC server with the server certificate as its client
  // certificate: with --client-cert-auth, the server's certificate must be trusted too.
  ASSERT_EQ(
      std::system(
          ("cat " + dir + "/client.crt " + dir + "/server.crt > " + dir + "/trusted.pem").c_str()),
      0);
  server_ = std::make_unique<EtcdServer>(
      std::vector<std::string>{"--cert-file", dir + "/server.crt", "--key-file",
                               dir + "/server.key", "--client-cert-auth", "--trusted-ca-file",
                               dir + "/trusted.pem"},
      make_client_tls_context(dir + "/server.crt", dir + "/client.crt", dir + "/client.key"));
  ASSERT_EQ(server_->client_url().rfind("https://", 0), 0u);

  EtcdOptions options;
  options.ca_file = dir + "/server.crt";
  options.cert_file = dir + "/client.crt";
  options.key_file = dir + "/client.key";
  auto etcd = client(options);
  auto lease = etcd->grant(5);
  ASSERT_TRUE(lease.ok()) << lease.failure().describe();
  ASSERT_TRUE(etcd->put_if_absent("/t", "1", lease.value().id).value().succeeded);
  std::atomic<bool> stop{false};
  std::vector<EtcdEvent> seen;
  auto watched = etcd->watch(
      "/t", 1,
      [&](const std::vector<EtcdEvent>& events) {
        seen = events;
        stop = true;
      },
      stop);
  ASSERT_TRUE(watched.ok()) << watched.failure().describe();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kv.value, "1");

  // Without a client certificate etcd ends the handshake.
  options.cert_file.clear();
  options.key_file.clear();
  auto anonymous = client(options);
  EXPECT_FALSE(anonymous->range("/t").ok());
  // cert_file without key_file is refused before anything is sent.
  options.cert_file = dir + "/client.crt";
  EXPECT_FALSE(EtcdClient::create(options, nullptr).ok());
  std::filesystem::remove_all(dir);
}

TEST_F(EtcdClientTest, AuthenticatesAndAuthenticatesAgainWhenTheTokenIsRefused) {
  server_ = std::make_unique<EtcdServer>(std::vector<std::string>{"--auth-token-ttl", "1"});
  const std::string password = "s3cret-Pa55";
  server_->post("/v3/auth/user/add", "{\"name\":\"root\",\"password\":\"" + password + "\"}");
  server_->post("/v3/auth/user/grant", R"({"user":"root","role":"root"})");
  ASSERT_NE(server_->post("/v3/auth/enable", "{}").find("header"), std::string::npos);

  // Without credentials etcd refuses.
  auto anonymous = client();
  auto refused = anonymous->range("/a");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.failure().kind, FailureKind::service_error);

  EtcdOptions options;
  options.username = "root";
  options.password = password;
  auto etcd = client(options);
  ASSERT_TRUE(etcd->put_if_absent("/a", "1", 0).value().succeeded);

  // A token unused for longer than --auth-token-ttl is forgotten ("invalid auth token"): the
  // client logs in again and the request goes through.
  const std::string login = server_->post("/v3/auth/authenticate",
                                          "{\"name\":\"root\",\"password\":\"" + password + "\"}");
  const auto at = login.find("\"token\":\"") + 9;
  const std::string token = login.substr(at, login.find('"', at) - at);
  std::this_thread::sleep_for(2200ms);  // the TTL, plus etcd's one-second sweep
  EXPECT_NE(server_->post("/v3/kv/range", R"({"key":"eg=="})", token).find("invalid auth token"),
            std::string::npos);
  auto after = etcd->put_if_absent("/b", "1", 0);
  ASSERT_TRUE(after.ok()) << after.failure().describe();
  EXPECT_TRUE(after.value().succeeded);
  EXPECT_EQ(etcd->range("/").value().kvs.size(), 2u);

  std::atomic<bool> stop{false};
  std::vector<EtcdEvent> seen;
  std::thread watcher([&] {
    etcd->watch(
        "/", 1,
        [&](const std::vector<EtcdEvent>& events) {
          seen.insert(seen.end(), events.begin(), events.end());
          stop = true;
        },
        stop);
  });
  watcher.join();
  EXPECT_FALSE(seen.empty());
}

TEST_F(EtcdClientTest, AWrongPasswordIsAClearFailureThatNeverShowsThePassword) {
  server_->post("/v3/auth/user/add", R"({"name":"root","password":"right-one"})");
  server_->post("/v3/auth/user/grant", R"({"user":"root","role":"root"})");
  server_->post("/v3/auth/enable", "{}");
  EtcdOptions options;
  options.username = "root";
  options.password = "Wr0ng-Pa55word";
  auto etcd = client(options);
  auto lease = etcd->grant(5);
  ASSERT_FALSE(lease.ok());
  const Failure& failure = lease.failure();
  EXPECT_EQ(failure.kind, FailureKind::service_error);
  EXPECT_EQ(failure.code, "InvalidArgument");
  EXPECT_NE(failure.message.find("authenticate as user 'root'"), std::string::npos)
      << failure.message;
  EXPECT_NE(failure.message.find("authentication failed"), std::string::npos) << failure.message;
  EXPECT_EQ(failure.describe().find("Wr0ng-Pa55word"), std::string::npos);
  std::atomic<bool> stop{false};
  auto watched = etcd->watch(
      "/", 0, [](const std::vector<EtcdEvent>&) {}, stop);
  ASSERT_FALSE(watched.ok());
  EXPECT_EQ(watched.failure().describe().find("Wr0ng-Pa55word"), std::string::npos);
}

}  // namespace
}  // namespace nw
