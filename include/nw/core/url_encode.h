#pragma once
// Percent-encoding of one URL component or form value, the one the daemon uses everywhere: a
// query id in a Neptune path or form, STS and RDS form parameters, and SigV4's canonical
// request. Everything but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~) becomes %XX
// with upper-case hex, which is exactly what SigV4 requires.
#include <string>
#include <string_view>

namespace nw {

std::string url_encode(std::string_view value);

}  // namespace nw
