#include "nw/io/sigv4.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include <Poco/DigestEngine.h>
#include <Poco/Exception.h>
#include <Poco/HMACEngine.h>
#include <Poco/SHA2Engine.h>
#include <Poco/URI.h>

#include "nw/core/url_encode.h"

namespace nw {
namespace {

// Poco 1.11's SHA2Engine lacks the BLOCK_SIZE/DIGEST_SIZE that HMACEngine needs.
struct Sha256Engine : Poco::SHA2Engine {
  enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
  Sha256Engine() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};
using HmacSha256 = Poco::HMACEngine<Sha256Engine>;

constexpr const char* kAlgorithm = "AWS4-HMAC-SHA256";

std::vector<unsigned char> hmac(const std::vector<unsigned char>& key, const std::string& msg) {
  HmacSha256 h(reinterpret_cast<const char*>(key.data()), key.size());
  h.update(msg);
  return h.digest();
}

std::string percent_decode(const std::string& s) {
  std::string out;
  try {
    Poco::URI::decode(s, out, /*plusAsSpace=*/false);
  } catch (const Poco::Exception&) {
    throw std::invalid_argument("SigV4: malformed percent-escape in the query string");
  }
  return out;
}

std::string to_lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return s;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// Trimmed, every whitespace run (folded continuation lines included) as one space.
std::string canonical_header_value(const std::string& v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) return parts;
    start = pos + 1;
  }
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

// RFC 3986 remove_dot_segments plus collapsing of repeated slashes, as AWS (and botocore)
// do for every service but S3.
std::string normalize_path(const std::string& path) {
  std::vector<std::string> kept;
  for (const auto& seg : split(path, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!kept.empty()) kept.pop_back();
      continue;
    }
    kept.push_back(seg);
  }
  std::string out = "/" + join(kept, "/");
  if (!kept.empty() && path.back() == '/') out += '/';
  return out;
}

std::vector<std::string> sorted_unique_lower(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  out.reserve(names.size());
  for (const auto& n : names) out.push_back(to_lower(trim(n)));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<unsigned char> bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

}  // namespace

std::string sha256_hex(const std::string& data) {
  Sha256Engine engine;
  engine.update(data);
  return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string amz_date(std::chrono::system_clock::time_point t) {
  const auto secs_since_epoch =
      std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(secs_since_epoch);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];  // sized for any int values, which keeps -Wformat-truncation quiet
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string canonical_uri(const std::string& path, PathCanonicalization mode) {
  const std::string p = mode == PathCanonicalization::normalize ? normalize_path(path) : path;
  if (p.empty()) return "/";
  std::vector<std::string> segments = split(p, '/');
  for (auto& seg : segments) seg = url_encode(seg);
  return join(segments, "/");
}

std::string canonical_query_string(const std::string& query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& part : split(query, '&')) {
    if (part.empty()) continue;  // "a=1&&b=2", a trailing '&', or no query at all
    const std::size_t eq = part.find('=');
    const std::string key = part.substr(0, eq);
    const std::string value = eq == std::string::npos ? std::string() : part.substr(eq + 1);
    pairs.emplace_back(url_encode(percent_decode(key)), url_encode(percent_decode(value)));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

std::vector<std::string> signed_header_names(const SigningRequest& r) {
  std::vector<std::string> names;
  names.reserve(r.headers.size());
  for (const auto& h : r.headers) names.push_back(h.first);
  return sorted_unique_lower(names);
}

std::string canonical_request(const SigningRequest& r,
                              const std::vector<std::string>& signed_header_names_lowercase,
                              PathCanonicalization mode) {
  const std::vector<std::string> names = sorted_unique_lower(signed_header_names_lowercase);
  std::string headers;
  for (const auto& name : names) {
    std::vector<std::string> values;
    for (const auto& h : r.headers)
      if (to_lower(trim(h.first)) == name) values.push_back(canonical_header_value(h.second));
    if (values.empty())
      throw std::invalid_argument("SigV4: signed header '" + name + "' is not in the request");
    headers += name + ":" + join(values, ",") + "\n";
  }
  return r.method + "\n" + canonical_uri(r.path, mode) + "\n" + canonical_query_string(r.query) +
         "\n" + headers + "\n" + join(names, ";") + "\n" + sha256_hex(r.body);
}

std::string credential_scope(const std::string& date, const std::string& region,
                             const std::string& service) {
  return date + "/" + region + "/" + service + "/aws4_request";
}

std::string string_to_sign(const std::string& amz_date, const std::string& scope,
                           const std::string& canonical_request) {
  return std::string(kAlgorithm) + "\n" + amz_date + "\n" + scope + "\n" +
         sha256_hex(canonical_request);
}

std::vector<unsigned char> signing_key(const std::string& secret_access_key,
                                       const std::string& date, const std::string& region,
                                       const std::string& service) {
  auto key = hmac(bytes("AWS4" + secret_access_key), date);
  key = hmac(key, region);
  key = hmac(key, service);
  return hmac(key, "aws4_request");
}

std::string signature(const std::vector<unsigned char>& signing_key,
                      const std::string& string_to_sign) {
  return Poco::DigestEngine::digestToHex(hmac(signing_key, string_to_sign));
}

std::string authorization_value(const std::string& access_key_id, const std::string& scope,
                                const std::vector<std::string>& signed_header_names_lowercase,
                                const std::string& signature_hex) {
  return std::string(kAlgorithm) + " Credential=" + access_key_id + "/" + scope +
         ", SignedHeaders=" + join(sorted_unique_lower(signed_header_names_lowercase), ";") +
         ", Signature=" + signature_hex;
}

void sign(SigningRequest& r, const AwsCredentials& credentials, const std::string& region,
          const std::string& service, std::chrono::system_clock::time_point now) {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty())
    throw std::invalid_argument("SigV4: no access key id or secret access key");

  auto& headers = r.headers;
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [](const auto& h) {
                                 const std::string n = to_lower(trim(h.first));
                                 return n == "x-amz-date" || n == "x-amz-security-token" ||
                                        n == "authorization";
                               }),
                headers.end());
  const bool has_host = std::any_of(headers.begin(), headers.end(), [](const auto& h) {
    return to_lower(trim(h.first)) == "host";
  });
  if (!has_host) throw std::invalid_argument("SigV4: the request has no Host header");

  const std::string date_time = amz_date(now);
  const std::string date = date_time.substr(0, 8);
  headers.emplace_back("X-Amz-Date", date_time);
  if (!credentials.session_token.empty())
    headers.emplace_back("X-Amz-Security-Token", credentials.session_token);

  const auto mode = service == "s3" ? PathCanonicalization::as_is : PathCanonicalization::normalize;
  const std::vector<std::string> names = signed_header_names(r);
  const std::string scope = credential_scope(date, region, service);
  const std::string sts = string_to_sign(date_time, scope, canonical_request(r, names, mode));
  const std::string sig =
      signature(signing_key(credentials.secret_access_key, date, region, service), sts);
  headers.emplace_back("Authorization",
                       authorization_value(credentials.access_key_id, scope, names, sig));
}

}  // namespace nw
