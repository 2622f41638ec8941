#pragma once
// AWS Signature Version 4 (header form) over exactly what is sent. Neptune with IAM DB
// authentication signs with service "neptune-db" and the cluster's region.
//
// The steps are exposed one by one so that each can be checked against the official test
// suite (.creq, .sts, .authz); sign() chains them. Nothing here logs, and no returned string
// contains the secret key: only the access key id, the session token (as its own header,
// which is sent anyway) and derived hashes appear.
//
// Errors: a request that cannot be signed as given (no Host header, a signed header that is
// not in the request, a malformed %-escape in the query, empty credentials) throws
// std::invalid_argument. Messages never contain credentials.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "nw/core/aws_credentials.h"

namespace nw {

// One HTTP request as it goes on the wire.
struct SigningRequest {
  std::string method;  // "GET", "POST", ...
  // Path as sent, already percent-encoded, without the query (e.g. "/opencypher/status").
  std::string path;
  // Raw query string as sent, without '?' (e.g. "includeWaiting=true"); empty for none.
  std::string query;
  // Headers as sent, in order, including Host with its port ("db:8182") exactly as the HTTP
  // library will write it. Names are case-insensitive; repeated names are allowed.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // the exact bytes sent (form-encoded parameters for Neptune POSTs)
};

enum class PathCanonicalization {
  // Every service but S3: remove "." and ".." segments and repeated slashes, then
  // percent-encode each segment of the path as sent (so "%" in it becomes "%25": AWS's
  // "encode twice" rule for non-S3 services).
  normalize,
  // S3: no normalisation (an object key may contain "//" or "."), segments encoded once.
  as_is,
};

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(const std::string& data);

// "20150830T123600Z" (UTC, whole seconds).
std::string amz_date(std::chrono::system_clock::time_point t);

// The canonical URI: "/" for an empty path; segments encoded with the AWS rules (only
// A-Z a-z 0-9 - _ . ~ stay literal, everything else becomes %XX with upper-case hex).
std::string canonical_uri(const std::string& path,
                          PathCanonicalization mode = PathCanonicalization::normalize);

// The canonical query string: each key and value %-decoded (a '+' stays a literal '+', so
// send spaces as %20) and re-encoded with the AWS rules, a key without '=' gets an empty
// value ("cancelQuery" -> "cancelQuery="), pairs sorted by encoded key then encoded value.
std::string canonical_query_string(const std::string& query);

// Lower-case names of all headers of `r`, sorted, without repeats: what sign() signs.
std::vector<std::string> signed_header_names(const SigningRequest& r);

// The canonical request: method, canonical URI, canonical query, one "name:value" line per
// signed header (values trimmed, inner whitespace runs -- folded lines included -- collapsed
// to one space, repeated headers joined with ',' in request order), the signed header list
// and the SHA-256 of the body. `signed_header_names_lowercase` is sorted and de-duplicated
// here; each name must occur in r.headers.
std::string canonical_request(const SigningRequest& r,
                              const std::vector<std::string>& signed_header_names_lowercase,
                              PathCanonicalization mode = PathCanonicalization::normalize);

// "20150830/us-east-1/neptune-db/aws4_request"; `date` is yyyymmdd.
std::string credential_scope(const std::string& date, const std::string& region,
                             const std::string& service);

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of canonical request>".
std::string string_to_sign(const std::string& amz_date, const std::string& scope,
                           const std::string& canonical_request);

// kSigning = HMAC chain over "AWS4"+secret, date, region, service, "aws4_request". Raw bytes:
// as good as the secret for a day in one region and service, so never print it.
std::vector<unsigned char> signing_key(const std::string& secret_access_key,
                                       const std::string& date, const std::string& region,
                                       const std::string& service);

// Lower-case hex HMAC-SHA256(signing_key, string_to_sign).
std::string signature(const std::vector<unsigned char>& signing_key,
                      const std::string& string_to_sign);

// "AWS4-HMAC-SHA256 Credential=<akid>/<scope>, SignedHeaders=a;b;c, Signature=<hex>".
std::string authorization_value(const std::string& access_key_id, const std::string& scope,
                                const std::vector<std::string>& signed_header_names_lowercase,
                                const std::string& signature_hex);

// Signs `r` in place at time `now`. Replaces any X-Amz-Date, X-Amz-Security-Token and
// Authorization headers already present (so a retried request can be signed again), adds
// X-Amz-Date, X-Amz-Security-Token when credentials carry a session token (it is signed),
// and Authorization. Every other header given is signed as is, so pass exactly the headers
// that will be sent (Host with port; Content-Type for a POST) and nothing the HTTP library
// rewrites afterwards. No X-Amz-Content-Sha256 header is added (Neptune does not need it).
// Paths are normalised unless `service` is "s3".
void sign(SigningRequest& r, const AwsCredentials& credentials, const std::string& region,
          const std::string& service, std::chrono::system_clock::time_point now);

}  // namespace nw
