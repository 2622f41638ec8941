// libFuzzer target: the SigV4 canonicalizer and signer (canonical_uri, canonical_query_string,
// canonical_request, sign) with fixed credentials and a fixed time.
//
// The input is split deterministically, like an HTTP request head:
//   line 1: method   line 2: path   line 3: query (without '?')
//   then one header per line, "Name: value" (a line starting with a blank continues the
//   previous header's value, as HTTP folding does; a line without ':' is a name with an empty
//   value), up to an empty line; everything after it is the body.
// Missing parts are empty. See fuzz/corpus/sigv4/ for examples.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.h"
#include "nw/core/aws_credentials.h"
#include "nw/io/sigv4.h"

using namespace nw;

namespace {

// 2015-08-30T12:36:00Z, the date of AWS's own SigV4 test suite.
const std::chrono::system_clock::time_point kNow = std::chrono::system_clock::from_time_t(1440938160);
constexpr const char* kAmzDate = "20150830T123600Z";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* kToken = "FQoGZXIvYXdzEXAMPLETOKEN/+=";

std::string_view take_line(std::string_view& rest) {
  const auto nl = rest.find('\n');
  const std::string_view line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return line;
}

SigningRequest split(std::string_view in) {
  SigningRequest r;
  r.method = std::string(take_line(in));
  r.path = std::string(take_line(in));
  r.query = std::string(take_line(in));
  while (!in.empty()) {
    const std::string_view line = take_line(in);
    if (line.empty()) break;
    if ((line.front() == ' ' || line.front() == '\t') && !r.headers.empty()) {
      r.headers.back().second += "\n";
      r.headers.back().second += line;
      continue;
    }
    const auto colon = line.find(':');
    r.headers.emplace_back(std::string(line.substr(0, colon)),
                           colon == std::string_view::npos ? std::string() : std::string(line.substr(colon + 1)));
  }
  r.body = std::string(in);
  return r;
}

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

bool upper_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

// Only unreserved characters, the given separators and %XX with upper-case hex.
bool aws_encoded(std::string_view s, std::string_view separators) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (unreserved(s[i]) || separators.find(s[i]) != std::string_view::npos) continue;
    if (s[i] != '%' || i + 2 >= s.size() || !upper_hex(s[i + 1]) || !upper_hex(s[i + 2])) return false;
    i += 2;
  }
  return true;
}

std::vector<std::string_view> split_on(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (;;) {
    const auto pos = s.find(sep);
    parts.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) return parts;
    s.remove_prefix(pos + 1);
  }
}

void check_uri(const std::string& path) {
  const std::string norm = canonical_uri(path, PathCanonicalization::normalize);
  FUZZ_CHECK(!norm.empty() && norm.front() == '/', "normalized canonical URI does not start with '/'");
  FUZZ_CHECK(aws_encoded(norm, "/"), "canonical URI not AWS-encoded: " + norm);
  FUZZ_CHECK(norm.find("//") == std::string::npos, "normalized canonical URI holds '//'");
  for (std::string_view seg : split_on(std::string_view(norm).substr(1), '/'))
    FUZZ_CHECK(seg != "." && seg != "..", "dot segment left in a normalized URI");
  const std::string as_is = canonical_uri(path, PathCanonicalization::as_is);
  FUZZ_CHECK(aws_encoded(as_is, "/"), "as-is canonical URI not AWS-encoded");
  if (path.empty())
    FUZZ_CHECK(as_is == "/", "empty path not canonicalized to '/'");
  else
    FUZZ_CHECK(std::count(as_is.begin(), as_is.end(), '/') == std::count(path.begin(), path.end(), '/'),
               "as-is canonical URI changed the segments");
}

// Returns false when the query cannot be signed (a malformed %-escape).
bool check_query(const std::string& query) {
  std::string canonical;
  try {
    canonical = canonical_query_string(query);
  } catch (const std::invalid_argument&) {
    FUZZ_CHECK(query.find('%') != std::string::npos, "query rejected without a '%'");
    return false;
  }
  FUZZ_CHECK(aws_encoded(canonical, "=&"), "canonical query not AWS-encoded: " + canonical);
  // Sorted by encoded key, then encoded value (not as "key=value" strings: "a-b=" < "a=z").
  std::pair<std::string_view, std::string_view> previous;
  bool first = true;
  if (!canonical.empty()) {
    for (std::string_view pair : split_on(canonical, '&')) {
      FUZZ_CHECK(std::count(pair.begin(), pair.end(), '=') == 1, "canonical pair without exactly one '='");
      const auto eq = pair.find('=');
      const std::pair<std::string_view, std::string_view> kv(pair.substr(0, eq), pair.substr(eq + 1));
      FUZZ_CHECK(first || kv >= previous, "canonical query not sorted: " + canonical);
      previous = kv;
      first = false;
    }
  }
  FUZZ_CHECK(canonical_query_string(canonical) == canonical, "canonical query is not a fixed point");
  return true;
}

std::string header(const SigningRequest& r, std::string_view name, int* count) {
  std::string value;
  *count = 0;
  for (const auto& [n, v] : r.headers) {
    std::string lower(n);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == name) {
      ++*count;
      value = v;
    }
  }
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  SigningRequest r = split(input);

  check_uri(r.path);
  const bool query_ok = check_query(r.query);

  const std::vector<std::string> names = signed_header_names(r);
  FUZZ_CHECK(std::is_sorted(names.begin(), names.end()) &&
                 std::adjacent_find(names.begin(), names.end()) == names.end(),
             "signed header names not sorted and unique");
  try {
    const std::string creq = canonical_request(r, names);
    FUZZ_CHECK(query_ok, "canonical_request accepted a query canonical_query_string refused");
    FUZZ_CHECK(creq.size() >= 64 && creq.compare(creq.size() - 64, 64, sha256_hex(r.body)) == 0,
               "canonical request does not end with the body hash");
    const std::string expected_head = r.method + "\n" + canonical_uri(r.path) + "\n";
    FUZZ_CHECK(creq.compare(0, expected_head.size(), expected_head) == 0, "canonical request head");
  } catch (const std::invalid_argument&) {
    FUZZ_CHECK(!query_ok, "canonical_request refused a request whose every header is present");
  }

  AwsCredentials credentials{"AKIDEXAMPLE", kSecret, size % 2 ? kToken : "", std::nullopt};
  try {
    sign(r, credentials, "us-east-1", "neptune-db", kNow);
  } catch (const std::invalid_argument& e) {
    // Messages never carry credentials.
    FUZZ_CHECK(std::string(e.what()).find(kSecret) == std::string::npos, "secret in an error message");
    return 0;
  }
  FUZZ_CHECK(query_ok, "sign accepted a query canonical_query_string refused");
  int n = 0;
  FUZZ_CHECK(header(r, "x-amz-date", &n) == kAmzDate && n == 1, "X-Amz-Date");
  const std::string token = header(r, "x-amz-security-token", &n);
  FUZZ_CHECK(credentials.session_token.empty() ? n == 0 : (n == 1 && token == kToken), "X-Amz-Security-Token");
  const std::string authorization = header(r, "authorization", &n);
  FUZZ_CHECK(n == 1, "not exactly one Authorization header");
  FUZZ_CHECK(authorization.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/neptune-db/aws4_request, "
                                 "SignedHeaders=",
                                 0) == 0,
             "Authorization prefix: " + authorization);
  if (input.find(kSecret) == std::string_view::npos)
    FUZZ_CHECK(authorization.find(kSecret) == std::string::npos, "secret key in the Authorization header");

  // A retried request is signed again in place: same time, same signature.
  SigningRequest again = r;
  sign(again, credentials, "us-east-1", "neptune-db", kNow);
  FUZZ_CHECK(again.headers == r.headers, "signing a signed request again changed it");
  return 0;
}
