#include "nw/io/sigv4.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace nw {
namespace {

namespace fs = std::filesystem;

// The official vectors (botocore's aws4_testsuite copy), next to the repository.
const fs::path kSuiteDir = fs::path(NW_SOURCE_DIR) / ".." / "shared" / "sigv4-testsuite";

const std::string kAccessKey = "AKIDEXAMPLE";
const std::string kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const std::string kRegion = "us-east-1";
const std::string kService = "service";
const std::string kAmzDate = "20150830T123600Z";

// 2015-08-30T12:36:00Z
std::chrono::system_clock::time_point suite_time() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (;;) {
    const std::size_t nl = s.find('\n', start);
    lines.push_back(s.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) return lines;
    start = nl + 1;
  }
}

// A raw HTTP/1.1 request: request line (the target may contain spaces, as in
// normalize-path/get-space), headers (a line starting with whitespace continues the previous
// one and is kept with its newline; the signer collapses it), blank line, body.
SigningRequest parse_raw_request(const std::string& raw) {
  SigningRequest r;
  const std::vector<std::string> lines = lines_of(raw);
  const std::string& request_line = lines.at(0);
  const std::size_t first = request_line.find(' ');
  const std::size_t last = request_line.rfind(' ');
  r.method = request_line.substr(0, first);
  const std::string target = request_line.substr(first + 1, last - first - 1);
  const std::size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);

  std::size_t i = 1;
  for (; i < lines.size() && !lines[i].empty(); ++i) {
    const std::string& line = lines[i];
    if ((line[0] == ' ' || line[0] == '\t') && !r.headers.empty()) {
      r.headers.back().second += "\n" + line;
      continue;
    }
    const std::size_t colon = line.find(':');
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  for (std::size_t b = i + 1; b < lines.size(); ++b) {
    if (b > i + 1) r.body += '\n';
    r.body += lines[b];
  }
  return r;
}

// Like botocore's harness: the session token of a case appears only in its .creq.
std::string token_from_creq(const std::string& creq) {
  const std::string prefix = "x-amz-security-token:";
  for (const auto& line : lines_of(creq))
    if (line.compare(0, prefix.size(), prefix) == 0) return line.substr(prefix.size());
  return "";
}

std::vector<std::string> header_values(const SigningRequest& r, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& [n, v] : r.headers) {
    std::string lower = n;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == name) out.push_back(v);
  }
  return out;
}

// Case directories: those holding <dirname>.req, at any depth (normalize-path/ and
// post-sts-token/ group subcases). Relative names such as "normalize-path/get-space".
std::vector<std::string> suite_cases() {
  std::vector<std::string> cases;
  std::error_code ec;
  if (!fs::is_directory(kSuiteDir, ec)) return cases;
  for (const auto& entry : fs::recursive_directory_iterator(kSuiteDir, ec)) {
    if (!entry.is_directory()) continue;
    const fs::path dir = entry.path();
    if (fs::exists(dir / (dir.filename().string() + ".req")))
      cases.push_back(fs::relative(dir, kSuiteDir).generic_string());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

TEST(SigV4TestSuite, IsPresentWithEveryCase) {
  ASSERT_TRUE(fs::is_directory(kSuiteDir))
      << "the SigV4 test suite is missing: " << kSuiteDir << " (see shared/sigv4-testsuite)";
  const auto cases = suite_cases();
  EXPECT_GE(cases.size(), 34u) << "expected botocore's 34 cases";
  for (const char* c : {"get-vanilla", "get-header-value-multiline", "normalize-path/get-space",
                        "post-sts-token/post-sts-header-before", "get-vanilla-with-session-token",
                        "post-x-www-form-urlencoded-parameters"})
    EXPECT_NE(std::find(cases.begin(), cases.end(), c), cases.end()) << c;
}

class SigV4Vectors : public ::testing::TestWithParam<std::string> {};

TEST_P(SigV4Vectors, MatchesCanonicalRequestStringToSignAndAuthorization) {
  const fs::path dir = kSuiteDir / GetParam();
  const std::string base = (dir / dir.filename()).string();
  const std::string creq = read_file(base + ".creq");
  const std::string sts = read_file(base + ".sts");
  const std::string authz = read_file(base + ".authz");
  const SigningRequest request = parse_raw_request(read_file(base + ".req"));
  const AwsCredentials credentials{kAccessKey, kSecret, token_from_creq(creq), std::nullopt};

  // End to end: sign() as the client calls it.
  SigningRequest signed_request = request;
  sign(signed_request, credentials, kRegion, kService, suite_time());
  EXPECT_EQ(header_values(signed_request, "authorization"), std::vector<std::string>{authz});
  EXPECT_EQ(header_values(signed_request, "x-amz-date"), std::vector<std::string>{kAmzDate});
  if (credentials.session_token.empty())
    EXPECT_TRUE(header_values(signed_request, "x-amz-security-token").empty());
  else
    EXPECT_EQ(header_values(signed_request, "x-amz-security-token"),
              std::vector<std::string>{credentials.session_token});

  // Step by step, over the headers sign() sent (everything but Authorization).
  SigningRequest sent = signed_request;
  sent.headers.pop_back();
  ASSERT_EQ(sent.headers.size() + 1, signed_request.headers.size());
  const auto names = signed_header_names(sent);
  const std::string actual_creq = canonical_request(sent, names);
  EXPECT_EQ(actual_creq, creq);
  const std::string scope = credential_scope("20150830", kRegion, kService);
  const std::string actual_sts = string_to_sign(kAmzDate, scope, actual_creq);
  EXPECT_EQ(actual_sts, sts);
  const std::string sig = signature(signing_key(kSecret, "20150830", kRegion, kService), sts);
  EXPECT_EQ(authorization_value(kAccessKey, scope, names, sig), authz);

  for (const std::string& s : {actual_creq, actual_sts, sig})
    EXPECT_EQ(s.find(kSecret), std::string::npos);
  for (const auto& [name, value] : signed_request.headers)
    EXPECT_EQ(value.find(kSecret), std::string::npos) << name;
}

std::string case_test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Suite, SigV4Vectors, ::testing::ValuesIn(suite_cases()), case_test_name);

SigningRequest neptune_status_request() {
  SigningRequest r;
  r.method = "GET";
  r.path = "/opencypher/status";
  r.query = "includeWaiting=true";
  r.headers = {{"Host", "db:8182"}};
  return r;
}

const AwsCredentials kSuiteCredentials{kAccessKey, kSecret, "", std::nullopt};

TEST(SigV4Neptune, StatusRequestSignsDeterministically) {
  SigningRequest a = neptune_status_request();
  SigningRequest b = neptune_status_request();
  sign(a, kSuiteCredentials, "us-east-1", "neptune-db", suite_time());
  sign(b, kSuiteCredentials, "us-east-1", "neptune-db", suite_time());
  EXPECT_EQ(a.headers, b.headers);
  ASSERT_EQ(a.headers.size(), 3u);
  EXPECT_EQ(a.headers[1], (std::pair<std::string, std::string>{"X-Amz-Date", kAmzDate}));
  const std::string authz = a.headers[2].second;  // a copy: re-signing replaces it
  EXPECT_NE(authz.find("SignedHeaders=host;x-amz-date,"), std::string::npos) << authz;
  // Independently computed (Python hashlib/hmac) over the canonical request
  // GET /opencypher/status includeWaiting=true host:db:8182 x-amz-date.
  EXPECT_EQ(authz,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/neptune-db/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=707049815017be20f37d3589243d6fa27ddc61a60dd97f81082aa7770956baf5");

  // Signing again (a retry) replaces the signer's headers instead of piling them up.
  sign(a, kSuiteCredentials, "us-east-1", "neptune-db", suite_time() + std::chrono::seconds(1));
  ASSERT_EQ(a.headers.size(), 3u);
  EXPECT_EQ(a.headers[1].second, "20150830T123601Z");
  EXPECT_NE(a.headers[2].second, authz);
}

TEST(SigV4Neptune, CancelPostSignsContentTypeTokenAndBody) {
  SigningRequest r;
  r.method = "POST";
  r.path = "/openCypher/status";
  r.headers = {{"Host", "db:8182"}, {"Content-Type", "application/x-www-form-urlencoded"}};
  r.body = "cancelQuery&queryId=abc&silent=true";
  const AwsCredentials creds{kAccessKey, kSecret, "TOKEN123", std::nullopt};
  sign(r, creds, "us-east-1", "neptune-db", suite_time());
  ASSERT_EQ(r.headers.size(), 5u);
  EXPECT_EQ(r.headers[3],
            (std::pair<std::string, std::string>{"X-Amz-Security-Token", "TOKEN123"}));
  EXPECT_EQ(r.headers[4].second,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/neptune-db/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
            "Signature=8edabe15e687222ffa463fa4ca409ee0d718f432e61a64f4c8aa58f4cfb582e8");
}

TEST(SigV4Neptune, CanonicalQueryGivesValuelessKeysAnEmptyValue) {
  EXPECT_EQ(canonical_query_string("queryId=abc&cancelQuery"), "cancelQuery=&queryId=abc");
  EXPECT_EQ(canonical_query_string("b=2&a=x%2Fy&a=1"), "a=1&a=x%2Fy&b=2");
  EXPECT_EQ(canonical_query_string("q=a b+c"), "q=a%20b%2Bc");
  EXPECT_EQ(canonical_query_string(""), "");
  EXPECT_THROW(canonical_query_string("q=%zz"), std::invalid_argument);
}

TEST(SigV4Neptune, CanonicalUri) {
  EXPECT_EQ(canonical_uri(""), "/");
  EXPECT_EQ(canonical_uri("/gremlin/status/"), "/gremlin/status/");
  EXPECT_EQ(canonical_uri("/a/./b/../c//d"), "/a/c/d");
  EXPECT_EQ(canonical_uri("/a%20b"), "/a%2520b");  // non-S3: the sent path is encoded again
  EXPECT_EQ(canonical_uri("//a/./b", PathCanonicalization::as_is), "//a/./b");
}

TEST(SigV4Neptune, RefusesWhatCannotBeSigned) {
  SigningRequest no_host = neptune_status_request();
  no_host.headers.clear();
  EXPECT_THROW(sign(no_host, kSuiteCredentials, "us-east-1", "neptune-db", suite_time()),
               std::invalid_argument);
  SigningRequest r = neptune_status_request();
  EXPECT_THROW(sign(r, AwsCredentials{}, "us-east-1", "neptune-db", suite_time()),
               std::invalid_argument);
  EXPECT_THROW(canonical_request(r, {"host", "x-amz-date"}), std::invalid_argument);
}

TEST(SigV4Neptune, SecretAppearsNowhereButInTheSignature) {
  const AwsCredentials creds{kAccessKey, kSecret, "TOKEN123", std::nullopt};
  SigningRequest r = neptune_status_request();
  sign(r, creds, "us-east-1", "neptune-db", suite_time());
  for (const auto& [name, value] : r.headers) {
    EXPECT_EQ(name.find(kSecret), std::string::npos);
    EXPECT_EQ(value.find(kSecret), std::string::npos) << name;
    EXPECT_EQ(value.find("wJalrXUtnFEMI"), std::string::npos) << name;
  }
  SigningRequest sent = r;
  sent.headers.pop_back();
  const auto names = signed_header_names(sent);
  const std::string creq = canonical_request(sent, names);
  const std::string scope = credential_scope("20150830", "us-east-1", "neptune-db");
  const std::string sts = string_to_sign(kAmzDate, scope, creq);
  const auto key = signing_key(kSecret, "20150830", "us-east-1", "neptune-db");
  const std::string key_text(key.begin(), key.end());
  for (const std::string& s : {creq, sts, scope, authorization_value(kAccessKey, scope, names, "x"),
                               key_text, signature(key, sts)})
    EXPECT_EQ(s.find("wJalrXUtnFEMI"), std::string::npos);
  try {
    SigningRequest bad = neptune_status_request();
    bad.headers.clear();
    sign(bad, creds, "us-east-1", "neptune-db", suite_time());
    ADD_FAILURE() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("wJalrXUtnFEMI"), std::string::npos);
  }
}

}  // namespace
}  // namespace nw
