#pragma once
// --digest: the audit files summed up by query fingerprint, ranked by cancels (README.md
// "Digest"). Reads with AuditReader, sums with DigestAccumulator, prints with
// format_digest_text or format_digest_json. Needs no configuration file and no network.
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "nw/core/audit_digest.h"

namespace nw {

struct DigestOptions {
  DigestRange range;
  DigestFormat format = DigestFormat::text;
  // Unset: kDefaultTextLimit fingerprints in text, all in JSON. 0: all.
  std::optional<std::size_t> limit;
  int standard_input = 0;  // what the path "-" reads
};

// Prints the digest of every decision record in `paths` (files, or "-" for standard input) on
// `out`. Returns 0, or 66 (EX_NOINPUT) when a file could not be read, whole or to its end:
// each such file is named on `err`, and the digest of every record read is printed anyway.
// Lines that are not decision records the digest can read are counted, once, on `err`.
int run_digest(const std::vector<std::string>& paths, const DigestOptions& options,
               std::ostream& out, std::ostream& err);

}  // namespace nw
